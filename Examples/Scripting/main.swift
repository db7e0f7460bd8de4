// example-scripting: server-side logic two ways. A RedisScript (a fixed-window rate
// limiter) runs by EVALSHA and falls back to EVAL when the server does not have it, as
// after SCRIPT FLUSH or a restart; a read-only script runs with EVALSHA_RO. Then a Redis 7
// function library is loaded with FUNCTION LOAD and called through the typed `fcall`.
// Shown in the DocC article Scripts.md; keep the two in step.
//
//   swift run example-scripting redis://127.0.0.1:6379
//
// The URL is the first argument, else $REDIS_URL. Exits 1 when a script answers wrongly.
// It runs SCRIPT FLUSH, which empties the server's whole script cache: use a server of
// your own.
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

/// At most ARGV[2] calls per window of ARGV[1] seconds for the key KEYS[1]: 1 allowed, 0 refused.
let rateLimiter = RedisScript(
    """
    local count = redis.call('INCR', KEYS[1])
    if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
    if count > tonumber(ARGV[2]) then return 0 end
    return 1
    """
)

/// Reads without writing, so replicas may run it too (EVALSHA_RO).
let remaining = RedisScript("return tonumber(ARGV[1]) - tonumber(redis.call('GET', KEYS[1]) or '0')")

func scripts(_ client: RedstartClient) async throws {
    try await client.del(["scripting:calls:ada"])
    var answers: [Int] = []
    for _ in 0..<5 {
        let allowed = try await client.run(rateLimiter, keys: ["scripting:calls:ada"], arguments: [60, 3])
        answers.append(try allowed.decoded(as: Int.self))
    }
    print("rate limiter (3 per minute), 5 calls -> \(answers); script \(rateLimiter.sha1)")
    try check(answers == [1, 1, 1, 0, 0], "three calls allowed, then refused")

    // The server forgets every script; the next run answers NOSCRIPT to EVALSHA, and the
    // client sends EVAL, which also puts the script back in the server's cache.
    try await client.scriptFlush()
    try check(try await client.scriptExists([rateLimiter.sha1]) == [false], "SCRIPT FLUSH forgot the script")
    let afterFlush = try await client.run(rateLimiter, keys: ["scripting:calls:ada"], arguments: [60, 3])
    print("after SCRIPT FLUSH -> \(try afterFlush.decoded(as: Int.self)) (ran by EVAL)")
    try check(try await client.scriptExists([rateLimiter.sha1]) == [true], "EVAL cached the script again")

    let left = try await client.run(remaining, keys: ["scripting:calls:ada"], arguments: [3], readOnly: true)
    print("read-only script: \(try left.decoded(as: Int.self)) calls left")
    try check(try left.decoded(as: Int.self) == -3, "six calls against a limit of three")
}

/// A function library (Redis 7): loaded once, called by name with FCALL.
func functions(_ client: RedstartClient) async throws {
    let library = """
        #!lua name=scripting_example
        redis.register_function('greet', function(keys, args)
            redis.call('SET', keys[1], 'hello ' .. args[1])
            return redis.call('GET', keys[1])
        end)
        """
    let name = try await client.functionLoad(replace: true, functionCode: library)
    let greeting = try await client.fcall("greet", keys: ["scripting:greeting"], args: ["Ada"]).decoded(as: String.self)
    print("FUNCTION LOAD -> \(name); FCALL greet -> \(greeting)")
    try check(name == "scripting_example" && greeting == "hello Ada", "the function ran")
    try await client.functionDelete("scripting_example")
    try await client.del(["scripting:greeting", "scripting:calls:ada"])
}

do {
    let client = try RedstartClient(url: url)
    try await scripts(client)
    try await functions(client)
    await client.shutdown()
    print("scripting: ok")
} catch {
    print("scripting: FAILED: \(error)")
    exit(1)
}
