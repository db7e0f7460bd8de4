// What each fuzz target does with one input. The same bodies run under libFuzzer
// (`Fuzz/run.sh`, a build with -sanitize=fuzzer,address) and in replay mode (the plain
// `redstart-fuzz TARGET FILE...`, which the tests use to re-run the seed corpora and
// every input that once crashed). A target must never crash, trap or hang, whatever
// the bytes: the server runs the same code on what clients and files send.
import NIOCore
import RedstartEngine
import RedstartRESP

/// The fuzz targets by name.
public enum FuzzTargets {
    public static let all: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
        "parser": requestParser,
        "commands": commands,
        "restore": restore,
        "rdb": rdb,
        "aof": aof,
    ]

    /// The request parser: the input is what a client sends, in two reads split where its
    /// first byte says; the parser yields commands until it needs more or refuses.
    static func requestParser(_ data: UnsafeRawBufferPointer) {
        var parser = RequestParser()
        parser.isAuthenticationRequired = data.first.map { $0 & 0x80 != 0 } ?? false
        let split = data.isEmpty ? 0 : Int(data[0]) % (data.count + 1)
        var buffer = ByteBuffer()
        for part in [data[..<split], data[split...]] {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: part))
            while true {
                do throws(ProtocolError) {
                    guard let command = try parser.next(from: &buffer) else { break }
                    for index in 0..<command.count { _ = command.bytes(at: index) }
                } catch {
                    return
                }
            }
        }
    }

    /// Commands of every family: the input is a client's byte stream, run on a fresh engine
    /// (without the commands that stop, reconfigure or wait on the process).
    static func commands(_ data: UnsafeRawBufferPointer) {
        let engine = makeEngine()
        let session = engine.openSession(transport: nil)
        var parser = RequestParser(limits: engine.protocolLimits)
        var buffer = ByteBuffer(bytes: data)
        var executed = 0
        while executed < 64 {
            guard let command = try? parser.next(from: &buffer) else { break }
            executed += 1
            if isExcluded(command) { continue }
            if engine.execute(command, for: session) != .executed { break }
            session.reply.buffer.clear()
        }
        engine.closeSession(session)
    }

    /// RESTORE of a payload whose checksum is not checked (the input), then reads of the
    /// value it made, by type.
    static func restore(_ data: UnsafeRawBufferPointer) {
        let engine = makeEngine()
        let session = engine.openSession(transport: nil)
        run(engine, session, ["DEBUG", "SET-SKIP-CHECKSUM-VALIDATION", "1"])
        var payload = Array(data)
        // The footer the checksum check would read: version 10 and eight bytes of CRC.
        payload += [10, 0] + [UInt8](repeating: 0, count: 8)
        run(engine, session, [Array("RESTORE".utf8), Array("k".utf8), Array("0".utf8), payload])
        for command in readsOfEveryType {
            run(engine, session, command)
        }
        engine.closeSession(session)
    }

    /// An RDB file (the input) loaded into a fresh engine, its CRC not checked, then the
    /// dataset digested.
    static func rdb(_ data: UnsafeRawBufferPointer) {
        let engine = makeEngine()
        guard let loader = try? RDBLoader(data, engine: engine, checksum: false) else { return }
        while true {
            guard let finished = try? loader.step(until: .max) else { break }
            if finished { break }
        }
        let session = engine.openSession(transport: nil)
        run(engine, session, ["DEBUG", "DIGEST"])
        run(engine, session, ["SCAN", "0", "COUNT", "100"])
        engine.closeSession(session)
    }

    /// An AOF (the input): its records replayed as the AOF's loader does, by a client that
    /// skips the checks ordinary clients get.
    static func aof(_ data: UnsafeRawBufferPointer) {
        let engine = makeEngine()
        let session = engine.openSession(transport: nil)
        session.isReplayClient = true
        let storage = ByteBuffer(bytes: data)
        var position = 0
        var replayed = 0
        while position < data.count && replayed < 64 {
            switch AOFRecordParser.record(in: data, at: position) {
            case .command(let spans, let end, _):
                let command = CommandArguments(storage: storage, base: 0, spans: spans)
                if !isExcluded(command) {
                    if engine.execute(command, for: session) != .executed { return }
                }
                session.reply.buffer.clear()
                replayed += 1
                position = end
            case .annotation(_, let end):
                position = end
            case .incomplete, .malformed:
                return
            }
        }
        engine.closeSession(session)
    }

    // MARK: - Helpers

    /// A fresh engine whose limits keep one input's memory bounded (a 1 MB bulk or string,
    /// a 64 MB reply) as a server's clients would be bounded by their own limits.
    static func makeEngine() -> Engine {
        let config = ConfigStore()
        _ = try? config.set("proto-max-bulk-len", arguments: ["1048576"])
        _ = try? config.set("client-output-buffer-limit", arguments: ["normal", "64mb", "64mb", "0"])
        return Engine(config: config)
    }

    /// Commands that would stop or reconfigure the process, wait for other clients or the
    /// host, or spend seconds by design (PFSELFTEST, DEBUG SLEEP).
    static func isExcluded(_ command: CommandArguments) -> Bool {
        guard command.count > 0 else { return true }
        let name = command.lowercasedString(at: 0)
        if excluded.contains(name) { return true }
        if command.count > 1 {
            let sub = command.lowercasedString(at: 1)
            if name == "config" && sub == "set" { return true }
            if name == "client" && (sub == "pause" || sub == "kill") { return true }
        }
        return false
    }

    private static let excluded: Set<String> = [
        "shutdown", "debug", "save", "bgsave", "bgrewriteaof", "migrate", "sync", "psync", "pfselftest",
        "monitor", "failover", "replicaof", "slaveof", "acl",
    ]

    private static let readsOfEveryType: [[String]] = [
        ["TYPE", "k"], ["OBJECT", "ENCODING", "k"], ["DUMP", "k"], ["GET", "k"], ["LRANGE", "k", "0", "-1"],
        ["LPOP", "k"], ["SMEMBERS", "k"], ["SPOP", "k"], ["ZRANGE", "k", "0", "-1", "WITHSCORES"], ["ZPOPMIN", "k"],
        ["HGETALL", "k"], ["HRANDFIELD", "k", "-5"], ["XRANGE", "k", "-", "+"], ["XINFO", "STREAM", "k", "FULL"],
        ["PFCOUNT", "k"], ["MEMORY", "USAGE", "k"], ["DEBUG", "DIGEST-VALUE", "k"],
    ]

    private static func run(_ engine: Engine, _ session: Session, _ words: [String]) {
        run(engine, session, words.map { Array($0.utf8) })
    }

    private static func run(_ engine: Engine, _ session: Session, _ words: [[UInt8]]) {
        _ = engine.execute(CommandArguments(words), for: session)
        session.reply.buffer.clear()
    }
}
