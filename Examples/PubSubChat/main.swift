// example-pubsub-chat: chat rooms on Pub/Sub. A member subscribes to one room (SUBSCRIBE),
// a moderator to every room (PSUBSCRIBE chat:*), an announcement goes to a shard channel
// (SSUBSCRIBE / SPUBLISH); each subscription is an AsyncStream, and the server has
// confirmed it by the time `subscribe` returns. Then the subscription connection is
// killed (CLIENT KILL TYPE pubsub): the client reconnects and subscribes again by itself,
// and the stream carries on. Shown in the DocC article PubSub.md; keep the two in step.
//
//   swift run example-pubsub-chat redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when a message is missing.
import Foundation
import RedstartClient

let url =
    CommandLine.arguments.dropFirst().first ?? ProcessInfo.processInfo.environment["REDIS_URL"]
    ?? "redis://127.0.0.1:6379"

/// A result that is not the expected one: the example exits 1.
struct CheckFailed: Error { let what: String }

func check(_ condition: Bool, _ what: String) throws {
    if !condition { throw CheckFailed(what: what) }
}

/// The next `count` messages of `stream`, or fewer if they do not come within 5 seconds.
func receive(_ count: Int, from stream: AsyncStream<PubSubMessage>) async -> [PubSubMessage] {
    await withTaskGroup(of: [PubSubMessage]?.self) { group in
        group.addTask {
            var received: [PubSubMessage] = []
            for await message in stream {  // ends early when the task is cancelled
                received.append(message)
                if received.count == count { break }
            }
            return received
        }
        group.addTask {
            try? await Task.sleep(for: .seconds(5))
            return nil
        }
        let first = await group.next()!
        group.cancelAll()
        if let first { return first }
        return await group.next()! ?? []  // timed out: what came before the cancellation
    }
}

func chat(_ client: RedstartClient) async throws {
    let room = try await client.subscribe(to: ["chat:general"])
    let everyRoom = try await client.subscribe(toPatterns: ["chat:*"])
    let announcements = try await client.subscribe(toShardChannels: ["chat:announcements"])

    let receivers = try await client.publish("chat:general", message: "ada: hello, general")
    try await client.publish("chat:random", message: "grace: anyone here?")
    try await client.spublish("chat:announcements", message: "maintenance at noon")
    print("PUBLISH chat:general reached \(receivers) subscription(s)")

    let inRoom = await receive(1, from: room)
    for message in inRoom { print("member got [\(message.channel)] \(message.payload)") }
    try check(inRoom == [PubSubMessage(channel: "chat:general", payload: "ada: hello, general")], "the room's message")

    let moderated = await receive(2, from: everyRoom)
    for message in moderated {
        print("moderator got [\(message.channel) via \(message.pattern ?? "-")] \(message.payload)")
    }
    try check(moderated.map(\.channel) == ["chat:general", "chat:random"], "the pattern matches both rooms")

    let notices = await receive(1, from: announcements)
    for message in notices { print("shard subscriber got [\(message.channel)] \(message.payload)") }
    try check(notices.first?.isShardMessage == true, "SPUBLISH arrives as a shard message")
}

/// The subscriptions' connection is killed; the client reconnects and resubscribes.
func resubscribe(_ client: RedstartClient) async throws {
    let room = try await client.subscribe(to: ["chat:ops"])
    let killed = try await client.clientKill(.newFormat([.type(.pubsub)])).decoded(as: Int.self)
    print("CLIENT KILL TYPE pubsub closed \(killed) connection(s)")
    try check(killed >= 1, "the subscriptions' connection was there to kill")
    // Messages published while the client is away are lost (Pub/Sub keeps nothing), so
    // publish until one arrives through the new connection.
    let arrived = Task { await receive(1, from: room) }
    var attempts = 0
    while attempts < 50, try await client.publish("chat:ops", message: "still there?") == 0 {
        attempts += 1
        try await Task.sleep(for: .milliseconds(100))
    }
    let messages = await arrived.value
    print("after the reconnect: \(messages.count) message(s) on chat:ops")
    try check(messages.first?.payload == "still there?", "the stream carries on after a reconnect")
}

do {
    let client = try RedstartClient(url: url)
    try await chat(client)
    try await resubscribe(client)
    await client.shutdown()
    print("pubsub-chat: ok")
} catch {
    print("pubsub-chat: FAILED: \(error)")
    exit(1)
}
