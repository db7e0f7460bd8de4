// MIGRATE: keys moved (or copied) to another server as RESTORE commands with
// their DUMP payloads and remaining TTLs, over a connection the host keeps
// (MigrationConnections); keys the target accepted are deleted here unless
// COPY, and the command propagates as a DEL of them. Redis's options, errors
// and retry rule.
import RedstartRESP

/// What MIGRATE asks the host to send.
public struct MigrationRequest {
    public var host: String
    public var port: String
    public var timeoutMillis: Int
    public var database: Int
    /// AUTH [username] password, when given.
    public var auth: [[UInt8]]?
    /// One RESTORE key ttl payload [REPLACE] per key.
    public var restores: [[[UInt8]]]
}

/// The reply lines the target sent (without CRLF).
public struct MigrationReplies {
    public enum Failure { case writing, reading }
    public var auth: [UInt8]?
    public var select: [UInt8]?
    public var restores: [[UInt8]] = []
    /// The exchange broke off (after the replies read so far).
    public var failure: Failure?
    public init() {}
}

public enum MigrationOutcome {
    case connectFailed
    case exchanged(MigrationReplies)
}

enum MigrateFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "migrate", arity: -6, flags: [.write, .movableKeys], keys: KeyPositions(first: 3, last: 3, step: 1),
                acl: [.keyspace, .dangerous], group: "generic", findKeys: migrateKeys, run: migrate)
        ]
    }

    /// The keys: argument 3, or with KEYS every argument after it (Redis's migrateGetKeys).
    static func migrateKeys(_ arguments: CommandArguments) -> [KeyReference]? {
        let flags = ["RW", "access", "delete"]
        var index = 6
        while index < arguments.count {
            if arguments.isEqual(at: index, toLowercase: "auth") {
                index += 2
            } else if arguments.isEqual(at: index, toLowercase: "auth2") {
                index += 3
            } else if arguments.isEqual(at: index, toLowercase: "keys") {
                return (index + 1..<arguments.count).map { KeyReference(position: $0, flags: flags) }
            } else {
                index += 1
            }
        }
        return [KeyReference(position: 3, flags: flags)]
    }

    /// Argument positions MONITOR and SLOWLOG show as "(redacted)": AUTH's password, AUTH2's
    /// username and password.
    static func sensitiveArguments(_ arguments: CommandArguments) -> Set<Int> {
        var hidden = Set<Int>()
        var index = 6
        while index < arguments.count {
            if arguments.isEqual(at: index, toLowercase: "auth") {
                hidden.insert(index + 1)
                index += 2
            } else if arguments.isEqual(at: index, toLowercase: "auth2") {
                hidden.formUnion([index + 1, index + 2])
                index += 3
            } else if arguments.isEqual(at: index, toLowercase: "keys") {
                break
            } else {
                index += 1
            }
        }
        return hidden
    }

    /// MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE] [AUTH password]
    /// [AUTH2 username password] [KEYS key ...] → OK, NOKEY when no key exists, or an error.
    static func migrate(_ cmd: CommandContext) throws(ReplyError) {
        var copy = false
        var replace = false
        var auth: [[UInt8]]?
        var firstKey = 3
        var keyCount = 1
        var index = 6
        while index < cmd.args.count {
            let more = cmd.args.count - 1 - index
            if cmd.argument(index, is: "copy") {
                copy = true
            } else if cmd.argument(index, is: "replace") {
                replace = true
            } else if cmd.argument(index, is: "auth") {
                guard more >= 1 else { throw .syntax }
                auth = [Array("AUTH".utf8), cmd.args.bytes(at: index + 1)]
                index += 1
            } else if cmd.argument(index, is: "auth2") {
                guard more >= 2 else { throw .syntax }
                auth = [Array("AUTH".utf8), cmd.args.bytes(at: index + 1), cmd.args.bytes(at: index + 2)]
                index += 2
            } else if cmd.argument(index, is: "keys") {
                guard cmd.args.length(at: 3) == 0 else {
                    throw ReplyError("When using MIGRATE KEYS option, the key argument must be set to the empty string")
                }
                firstKey = index + 1
                keyCount = cmd.args.count - index - 1
                break
            } else {
                throw .syntax
            }
            index += 1
        }
        var timeout = try cmd.integer(5)
        let database = try cmd.integer(4)
        if timeout <= 0 { timeout = 1000 }

        let engine = cmd.engine
        let db = cmd.db
        // The keys that exist and have not expired, with their remaining TTLs.
        var keys: [(argument: Int, ttl: Int64)] = []
        for argument in firstKey..<firstKey + keyCount {
            guard let entry = cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else { continue }
            var ttl: Int64 = 0
            if let expiry = db.expiry(at: entry) {
                ttl = expiry - engine.clock.wallMilliseconds
                if ttl < 0 { continue }
                ttl = max(ttl, 1)
            }
            keys.append((argument, ttl))
        }
        if keys.isEmpty {
            cmd.reply.raw("+NOKEY\r\n")
            return
        }
        var restores: [[[UInt8]]] = []
        for key in keys {
            let entry = cmd.args.withBytes(at: key.argument) { db.table.find($0) }!
            let payload = DumpFamily.payload(of: db.value(at: entry).pointee, compressing: engine.rdbCompression)
            var restore = [Array("RESTORE".utf8), cmd.args.bytes(at: key.argument), Array(String(key.ttl).utf8), payload]
            if replace { restore.append(Array("REPLACE".utf8)) }
            restores.append(restore)
        }
        guard let host = engine.host else { throw ReplyError(line: "-IOERR error or timeout connecting to the client") }
        let request = MigrationRequest(
            host: cmd.args.string(at: 1), port: cmd.args.string(at: 2), timeoutMillis: Int(clamping: timeout),
            database: Int(clamping: database), auth: auth, restores: restores)
        guard case .exchanged(let replies) = host.migrate(request) else {
            throw ReplyError(line: "-IOERR error or timeout connecting to the client")
        }
        // The first error the target sent (AUTH's, SELECT's, then the RESTOREs').
        var targetError: [UInt8]?
        for line in [replies.auth, replies.select].compactMap({ $0 }) + replies.restores
        where targetError == nil && line.first == UInt8(ascii: "-") {
            targetError = Array(line.dropFirst())
        }
        let rejectedBefore = [replies.auth, replies.select].contains { $0?.first == UInt8(ascii: "-") }
        var deleted: [[UInt8]] = [Array("DEL".utf8)]
        for (position, line) in replies.restores.enumerated() where !copy && !rejectedBefore && line.first != UInt8(ascii: "-") {
            cmd.args.withBytes(at: keys[position].argument) { key in
                guard let entry = db.table.find(key) else { return }
                engine.deleteKey(db, at: entry, lazily: false)
                engine.keyModified(db, key)
                engine.notify(.generic, "del", key, db: db.index)
                deleted.append(Array(key))
            }
        }
        // Replicas and the AOF see the keys that left as a DEL.
        if deleted.count > 1 { engine.propagateRunningCommand(as: deleted) }
        if let targetError {
            throw ReplyError(line: "Target instance replied with error: " + String(decoding: targetError, as: UTF8.self))
        }
        if let failure = replies.failure {
            throw ReplyError(line: "-IOERR error or timeout \(failure == .writing ? "writing" : "reading") to target instance")
        }
        cmd.reply.ok()
    }
}
