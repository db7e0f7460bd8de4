// Pub/Sub registries: channel → subscribers, pattern → subscribers, shard
// channel → subscribers, each list in subscription order, and on each session
// the channels, patterns and shard channels it holds (in subscription order,
// which is the order UNSUBSCRIBE without arguments reports them). PUBLISH
// writes the message into every receiver's reply buffer and asks its
// connection to send it; nothing is stored. A session with any subscription
// is a "pubsub" client for client-output-buffer-limit and CLIENT LIST.
import NIOCore
import RedstartRESP

private let messageAllocator = ByteBufferAllocator()

/// The three kinds of subscription, with the words Redis's replies use.
enum SubscriptionKind {
    case channel, pattern, shard

    var subscribeWord: String {
        switch self {
        case .channel: return "subscribe"
        case .pattern: return "psubscribe"
        case .shard: return "ssubscribe"
        }
    }

    var unsubscribeWord: String {
        switch self {
        case .channel: return "unsubscribe"
        case .pattern: return "punsubscribe"
        case .shard: return "sunsubscribe"
        }
    }
}

extension Engine {
    /// Subscribes `session`; replies the subscribe message (with the count of its
    /// subscriptions of that family).
    func subscribe(_ session: Session, to name: ByteString, _ kind: SubscriptionKind) {
        if !session.subscriptions(kind).contains(name) {
            session.addSubscription(name, kind)
            switch kind {
            case .channel: channelSubscribers[name, default: []].append(session)
            case .pattern: patternSubscribers[name, default: []].append(session)
            case .shard: shardSubscribers[name, default: []].append(session)
            }
        }
        replySubscription(session, kind.subscribeWord, name, count: session.subscriptionCount(kind))
    }

    /// Unsubscribes `session` from `name` (replying even when it was not subscribed).
    func unsubscribe(_ session: Session, from name: ByteString, _ kind: SubscriptionKind, reply: Bool = true) {
        if session.removeSubscription(name, kind) {
            func drop(_ registry: inout [ByteString: [Session]]) {
                registry[name]?.removeAll { $0 === session }
                if registry[name]?.isEmpty == true { registry[name] = nil }
            }
            switch kind {
            case .channel: drop(&channelSubscribers)
            case .pattern: drop(&patternSubscribers)
            case .shard: drop(&shardSubscribers)
            }
        }
        if reply { replySubscription(session, kind.unsubscribeWord, name, count: session.subscriptionCount(kind)) }
    }

    /// UNSUBSCRIBE/PUNSUBSCRIBE/SUNSUBSCRIBE without arguments: every subscription of the
    /// kind, or one reply with a null name when there is none.
    func unsubscribeAll(_ session: Session, _ kind: SubscriptionKind, reply: Bool = true) {
        let names = session.subscriptions(kind)
        for name in names { unsubscribe(session, from: name, kind, reply: reply) }
        if names.isEmpty && reply {
            replySubscription(session, kind.unsubscribeWord, nil, count: session.subscriptionCount(kind))
        }
    }

    /// Drops every subscription of a session that closes or RESETs.
    func dropSubscriptions(_ session: Session) {
        guard session.isSubscribed else { return }
        for kind in [SubscriptionKind.channel, .pattern, .shard] { unsubscribeAll(session, kind, reply: false) }
    }

    /// A [un]subscribe confirmation: a push in RESP3, an array in RESP2.
    private func replySubscription(_ session: Session, _ word: String, _ name: ByteString?, count: Int) {
        session.repliesArePushes = true
        if session.protocolVersion == .resp3 { session.reply.pushHeader(3) } else { session.reply.arrayHeader(3) }
        session.reply.bulk(word)
        if let name { name.withUnsafeBytes { session.reply.bulk($0) } } else { session.reply.null() }
        session.reply.integer(count)
    }

    /// PUBLISH/SPUBLISH: delivers `message` on `channel` to its subscribers (and, for global
    /// channels, to matching pattern subscribers); returns how many received it. Each
    /// message is encoded once per protocol and copied into every receiver's buffer.
    func publish(_ channel: UnsafeRawBufferPointer, _ message: UnsafeRawBufferPointer, shard: Bool) -> Int {
        var receivers = 0
        let name = ByteString(channel)
        let running = runningSession.map(ObjectIdentifier.init)
        if let sessions = shard ? shardSubscribers[name] : channelSubscribers[name] {
            fanOut(sessions, running: running) { writer, resp3 in
                if resp3 {
                    writer.raw(shard ? ">3\r\n$8\r\nsmessage\r\n" : ">3\r\n$7\r\nmessage\r\n")
                } else {
                    writer.raw(shard ? "*3\r\n$8\r\nsmessage\r\n" : "*3\r\n$7\r\nmessage\r\n")
                }
                writer.bulk(channel)
                writer.bulk(message)
            }
            receivers += sessions.count
        }
        guard !shard, !patternSubscribers.isEmpty else { return receivers }
        for (pattern, sessions) in patternSubscribers {
            let matches = pattern.withUnsafeBytes { globMatch(pattern: $0, string: channel) }
            guard matches else { continue }
            fanOut(sessions, running: running) { writer, resp3 in
                writer.raw(resp3 ? ">4\r\n$8\r\npmessage\r\n" : "*4\r\n$8\r\npmessage\r\n")
                pattern.withUnsafeBytes { writer.bulk($0) }
                writer.bulk(channel)
                writer.bulk(message)
            }
            receivers += sessions.count
        }
        return receivers
    }

    /// Delivers one message to each of `sessions`, encoded by `encode` once per protocol
    /// (RESP2 up front, RESP3 on first need), the bytes lent to every delivery without
    /// copying or retaining a buffer per receiver.
    private func fanOut(_ sessions: [Session], running: ObjectIdentifier?, _ encode: (inout ReplyWriter, _ resp3: Bool) -> Void) {
        func encoded(resp3: Bool) -> ByteBuffer {
            var writer = ReplyWriter(buffer: messageAllocator.buffer(capacity: 64))
            encode(&writer, resp3)
            return writer.buffer
        }
        encoded(resp3: false).withUnsafeReadableBytes { resp2 in
            var resp3: ByteBuffer?
            for session in sessions {
                if session.protocolVersion == .resp3 {
                    if resp3 == nil { resp3 = encoded(resp3: true) }
                    resp3!.withUnsafeReadableBytes { deliver($0, to: session, running: running) }
                } else {
                    deliver(resp2, to: session, running: running)
                }
            }
        }
    }

    /// Appends an encoded message to `session`'s output: after its reply when it is the
    /// running session (`selfPushes`), else in its buffer, to be sent soon.
    @inline(__always)
    func deliver(_ bytes: UnsafeRawBufferPointer, to session: Session, running: ObjectIdentifier?) {
        if ObjectIdentifier(session) == running {
            selfPushes.writeBytes(bytes)
        } else {
            session.reply.buffer.writeBytes(bytes)
            noteOutput(session)
        }
    }

    /// Remembers that `session` got output outside its own command; its connection is told
    /// when the running command ends, unless it was told already and has not sent since
    /// (a pipeline of PUBLISHes tells each subscriber's connection once).
    @inline(__always)
    private func noteOutput(_ session: Session) {
        if !session.hasNotedOutput {
            session.hasNotedOutput = true
            sessionsWithOutput.append(session)
        }
    }

    /// Tells the connections of sessions that got messages that they have output to send
    /// (they call `outputSent()` once they have sent it).
    func flushNotedOutput() {
        // Moved to a local that owns the sessions (reading them by index retains none), and
        // given back emptied, so its buffer serves again.
        var sessions: [Session] = []
        swap(&sessions, &sessionsWithOutput)
        for index in sessions.indices {
            sessions[index].transport?.outputPending()
        }
        sessions.removeAll(keepingCapacity: true)
        if sessionsWithOutput.isEmpty { sessionsWithOutput = sessions }
    }

    /// Channels with subscribers (shard channels with `shard`), filtered by a glob pattern.
    func activeChannels(shard: Bool, matching pattern: [UInt8]?) -> [ByteString] {
        (shard ? shardSubscribers : channelSubscribers).keys.filter { name in
            guard let pattern else { return true }
            return name.withUnsafeBytes { raw in pattern.withUnsafeBytes { globMatch(pattern: $0, string: raw) } }
        }
    }
}

extension Session {
    /// Subscribed to anything: RESP2 then accepts only the subscription commands, PING,
    /// QUIT and RESET.
    public var isSubscribed: Bool {
        !subscribedChannels.isEmpty || !subscribedPatterns.isEmpty || !subscribedShardChannels.isEmpty
    }

    func subscriptions(_ kind: SubscriptionKind) -> [ByteString] {
        switch kind {
        case .channel: return subscribedChannels
        case .pattern: return subscribedPatterns
        case .shard: return subscribedShardChannels
        }
    }

    /// The count a [un]subscribe reply carries: channels + patterns, or shard channels.
    func subscriptionCount(_ kind: SubscriptionKind) -> Int {
        kind == .shard ? subscribedShardChannels.count : subscribedChannels.count + subscribedPatterns.count
    }

    func addSubscription(_ name: ByteString, _ kind: SubscriptionKind) {
        switch kind {
        case .channel: subscribedChannels.append(name)
        case .pattern: subscribedPatterns.append(name)
        case .shard: subscribedShardChannels.append(name)
        }
    }

    /// Removes a subscription; false when there was none.
    func removeSubscription(_ name: ByteString, _ kind: SubscriptionKind) -> Bool {
        func drop(_ list: inout [ByteString]) -> Bool {
            guard let position = list.firstIndex(of: name) else { return false }
            list.remove(at: position)
            return true
        }
        switch kind {
        case .channel: return drop(&subscribedChannels)
        case .pattern: return drop(&subscribedPatterns)
        case .shard: return drop(&subscribedShardChannels)
        }
    }
}
