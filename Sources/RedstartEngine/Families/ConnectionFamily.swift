// Connection commands: PING, ECHO, QUIT, RESET, HELLO, AUTH, SELECT. They act
// on the calling session only. CLIENT lives in ClientFamily.
import RedstartRESP

enum ConnectionFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("ping", arity: -1, flags: [.fast, .allowedWhileSubscribed], acl: [.connection], group: "connection", run: ping),
            .init("echo", arity: 2, flags: [.loading, .stale, .fast], acl: [.connection], group: "connection", run: echo),
            .init(
                "quit", arity: -1, flags: [.allowBusy, .noScript, .loading, .stale, .fast, .noAuth, .skipsQueue, .allowedWhileSubscribed],
                acl: [.connection], group: "connection", run: quit),
            .init(
                "reset", arity: 1, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy, .skipsQueue, .allowedWhileSubscribed],
                acl: [.connection], group: "connection", run: reset),
            .init(
                "hello", arity: -1, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy],
                acl: [.connection], group: "connection", run: hello),
            .init(
                "auth", arity: -2, flags: [.noScript, .loading, .stale, .fast, .noAuth, .allowBusy],
                acl: [.connection], group: "connection", run: auth),
            .init(
                "select", arity: 2, flags: [.loading, .stale, .fast], acl: [.connection], group: "connection",
                run: select),
        ]
    }

    /// PING [message] → simple string PONG, or the message as a bulk string.
    static func ping(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 2 else { throw .wrongArity("ping") }
        // A subscribed RESP2 client gets a pong message, not a status reply.
        if cmd.session.isSubscribed && cmd.session.protocolVersion == .resp2 {
            cmd.reply.arrayHeader(2)
            cmd.reply.bulk("pong")
            if cmd.args.count == 1 { cmd.reply.bulk("") } else { cmd.args.withBytes(at: 1) { cmd.reply.bulk($0) } }
        } else if cmd.args.count == 1 {
            cmd.reply.raw("+PONG\r\n")
        } else {
            cmd.args.withBytes(at: 1) { cmd.reply.bulk($0) }
        }
    }

    /// ECHO message → bulk string.
    static func echo(_ cmd: CommandContext) throws(ReplyError) {
        cmd.args.withBytes(at: 1) { cmd.reply.bulk($0) }
    }

    /// QUIT → +OK, then the connection closes (extra arguments are ignored, as in Redis 7.0).
    static func quit(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.ok()
        cmd.session.closeAfterReply = true
    }

    /// RESET → +RESET: the connection returns to its state right after connecting.
    static func reset(_ cmd: CommandContext) throws(ReplyError) {
        let session = cmd.session
        cmd.engine.discardTransaction(session)
        cmd.engine.stopMonitoring(session)
        cmd.engine.dropSubscriptions(session)
        cmd.engine.disableTracking(session)
        session.databaseIndex = 0
        session.protocolVersion = .resp2
        cmd.engine.authenticateAsDefault(session)
        session.name = nil
        session.isNoEvict = false
        session.isNoTouch = false
        session.replyMode = .on
        cmd.reply.raw("+RESET\r\n")
    }

    /// HELLO [protover [AUTH username password] [SETNAME name]] → map of server facts.
    static func hello(_ cmd: CommandContext) throws(ReplyError) {
        var version: Int64 = 0
        var index = 1
        if cmd.args.count >= 2 {
            guard let requested = cmd.args.int64(at: 1) else {
                throw ReplyError("Protocol version is not an integer or out of range")
            }
            guard requested == 2 || requested == 3 else { throw .noProto }
            version = requested
            index = 2
        }
        while index < cmd.args.count {
            let more = cmd.args.count - 1 - index
            if cmd.argument(index, is: "auth") && more >= 2 {
                guard
                    cmd.engine.authenticate(
                        cmd.session, user: cmd.args.bytes(at: index + 1), password: cmd.args.bytes(at: index + 2),
                        command: cmd.args.bytes(at: 0))
                else { throw .wrongPass }
                index += 3
            } else if cmd.argument(index, is: "setname") && more >= 1 {
                try ClientFamily.setName(cmd.session, cmd.args.bytes(at: index + 1))
                index += 2
            } else {
                throw ReplyError("Syntax error in HELLO option '\(cmd.args.string(at: index))'")
            }
        }
        guard cmd.session.isAuthenticated else {
            throw ReplyError(
                code: "NOAUTH",
                "HELLO must be called with the client already authenticated, otherwise the HELLO AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol version at the same time"
            )
        }
        if version != 0 { cmd.session.protocolVersion = version == 3 ? .resp3 : .resp2 }
        cmd.reply.mapHeader(7)
        cmd.reply.bulk("server")
        cmd.reply.bulk("redis")
        cmd.reply.bulk("version")
        cmd.reply.bulk(Engine.redisVersion)
        cmd.reply.bulk("proto")
        cmd.reply.integer(cmd.session.protocolVersion.rawValue)
        cmd.reply.bulk("id")
        cmd.reply.integer(cmd.session.id)
        cmd.reply.bulk("mode")
        cmd.reply.bulk("standalone")
        cmd.reply.bulk("role")
        cmd.reply.bulk(cmd.engine.replicationGate.isReplica ? "replica" : "master")
        cmd.reply.bulk("modules")
        cmd.reply.arrayHeader(0)
    }

    /// AUTH [username] password → +OK, or WRONGPASS.
    static func auth(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw .syntax }
        let user: [UInt8]
        let password: [UInt8]
        if cmd.args.count == 2 {
            // The one-argument form errs when the default user needs no password (Redis's old behaviour).
            guard !cmd.engine.acl.defaultUser.rules.noPass else { throw .authWithoutPassword }
            user = Array("default".utf8)
            password = cmd.args.bytes(at: 1)
        } else {
            user = cmd.args.bytes(at: 1)
            password = cmd.args.bytes(at: 2)
        }
        guard cmd.engine.authenticate(cmd.session, user: user, password: password, command: cmd.args.bytes(at: 0)) else {
            throw .wrongPass
        }
        cmd.reply.ok()
    }

    /// SELECT index → +OK.
    static func select(_ cmd: CommandContext) throws(ReplyError) {
        let index = try cmd.integer(1)
        guard index >= Int64(Int32.min) && index <= Int64(Int32.max) else { throw .notInteger }
        guard index >= 0 && index < Int64(cmd.engine.databases.count) else { throw .invalidDBIndex }
        cmd.session.databaseIndex = Int(index)
        cmd.reply.ok()
    }
}
