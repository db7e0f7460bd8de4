// CLIENT: the calling connection (ID, SETNAME, GETNAME, SETINFO, INFO, REPLY,
// NO-EVICT, NO-TOUCH; TRACKING and its kin in ClientFamily+Tracking.swift) and
// the others (LIST, KILL, PAUSE, UNPAUSE). The
// CLIENT LIST line is built by Session+Info.swift.
import RedstartRESP

enum ClientFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "client", arity: -2, acl: [], group: "connection",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.connection], group: "connection", run: help),
                    .init("id", arity: 2, flags: [.noScript, .loading, .stale], acl: [.connection], group: "connection", run: id),
                    .init("info", arity: 2, flags: [.noScript, .loading, .stale], acl: [.connection], group: "connection", run: info),
                    .init(
                        "list", arity: -2, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: list),
                    .init(
                        "kill", arity: -3, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: kill),
                    .init(
                        "setname", arity: 3, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: setname),
                    .init(
                        "getname", arity: 2, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: getname),
                    .init(
                        "setinfo", arity: 4, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: setinfo),
                    .init("reply", arity: 3, flags: [.noScript, .loading, .stale], acl: [.connection], group: "connection", run: reply),
                    .init(
                        "no-evict", arity: 3, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: noEvict),
                    .init(
                        "no-touch", arity: 3, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: noTouch),
                    .init(
                        "pause", arity: -3, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: pause),
                    .init(
                        "unblock", arity: -3, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: unblock),
                    .init(
                        "tracking", arity: -3, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: tracking),
                    .init(
                        "caching", arity: 3, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: caching),
                    .init(
                        "getredir", arity: 2, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: getredir),
                    .init(
                        "trackinginfo", arity: 2, flags: [.noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: trackinginfo),
                    .init(
                        "unpause", arity: 2, flags: [.admin, .noScript, .loading, .stale], acl: [.connection],
                        group: "connection", run: unpause),
                ]),
        ]
    }

    /// CLIENT HELP → array of status lines.
    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "CACHING (YES|NO)",
            "    Enable/disable tracking of the keys for next command in OPTIN/OPTOUT modes.",
            "GETREDIR",
            "    Return the client ID we are redirecting to when tracking is enabled.",
            "GETNAME",
            "    Return the name of the current connection.",
            "ID",
            "    Return the ID of the current connection.",
            "INFO",
            "    Return information about the current client connection.",
            "KILL <ip:port>",
            "    Kill connection made from <ip:port>.",
            "KILL <option> <value> [<option> <value> [...]]",
            "    Kill connections. Options are:",
            "    * ADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made from the specified address",
            "    * LADDR (<ip:port>|<unixsocket>:0)",
            "      Kill connections made to specified local address",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Kill connections by type.",
            "    * USER <username>",
            "      Kill connections authenticated by <username>.",
            "    * SKIPME (YES|NO)",
            "      Skip killing current connection (default: yes).",
            "    * ID <client-id>",
            "      Kill connections by client id.",
            "LIST [options ...]",
            "    Return information about client connections. Options:",
            "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
            "      Return clients of specified type.",
            "    * ID <client-id> [<client-id> ...]",
            "      Return clients with the given ids.",
            "UNPAUSE",
            "    Stop the current client pause, resuming traffic.",
            "PAUSE <timeout> [WRITE|ALL]",
            "    Suspend all, or just write, clients for <timeout> milliseconds.",
            "REPLY (ON|OFF|SKIP)",
            "    Control the replies sent to the current connection.",
            "SETNAME <name>",
            "    Assign the name <name> to the current connection.",
            "UNBLOCK <clientid> [TIMEOUT|ERROR]",
            "    Unblock the specified blocked client.",
            "TRACKING (ON|OFF) [REDIRECT <id>] [BCAST] [PREFIX <prefix> [...]]",
            "         [OPTIN] [OPTOUT] [NOLOOP]",
            "    Control server assisted client side caching.",
            "TRACKINGINFO",
            "    Report tracking status for the current connection.",
            "SETINFO <option> <value>",
            "    Set client meta attr. Options are:",
            "    * LIB-NAME: the client lib name.",
            "    * LIB-VER: the client lib version.",
            "NO-EVICT (ON|OFF)",
            "    Protect current client connection from eviction.",
            "NO-TOUCH (ON|OFF)",
            "    Will not touch LRU/LFU stats when this mode is on.",
        ])
    }

    /// CLIENT UNBLOCK id [TIMEOUT|ERROR] → 1 when that client was blocked on keys (it gets a
    /// timeout's reply, or an -UNBLOCKED error), else 0.
    static func unblock(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 4 else { throw .wrongArity(cmd.spec.fullName) }
        var withError = false
        if cmd.args.count == 4 {
            if cmd.argument(3, is: "error") {
                withError = true
            } else if !cmd.argument(3, is: "timeout") {
                throw ReplyError("CLIENT UNBLOCK reason should be TIMEOUT or ERROR")
            }
        }
        let id = try cmd.integer(2)
        cmd.reply.integer(cmd.engine.unblockClient(id: id, withError: withError) ? 1 : 0)
    }

    /// CLIENT ID → integer.
    static func id(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.session.id)
    }

    /// CLIENT INFO → verbatim string: this connection's CLIENT LIST line.
    static func info(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.verbatim(cmd.engine.clientInfoLine(cmd.session) + "\n")
    }

    /// CLIENT LIST [TYPE type] [ID id ...] → verbatim string, one line per client.
    static func list(_ cmd: CommandContext) throws(ReplyError) {
        var selected = cmd.engine.sessionsInOrder
        if cmd.args.count == 4 && cmd.argument(2, is: "type") {
            let kind = try clientKind(cmd, 3)
            selected = selected.filter { $0.kind == kind }
        } else if cmd.args.count > 3 && cmd.argument(2, is: "id") {
            var picked: [Session] = []
            for index in 3..<cmd.args.count {
                guard let id = cmd.args.int64(at: index) else { throw ReplyError("Invalid client ID") }
                if let session = cmd.engine.sessions[id] { picked.append(session) }
            }
            selected = picked
        } else if cmd.args.count != 2 {
            throw .syntax
        }
        var text = ""
        for session in selected { text += cmd.engine.clientInfoLine(session) + "\n" }
        cmd.reply.verbatim(text)
    }

    /// CLIENT KILL addr → +OK | CLIENT KILL <filter> <value> ... → integer: clients killed.
    static func kill(_ cmd: CommandContext) throws(ReplyError) {
        var address: String?
        var localAddress: String?
        var user: ACLUser?
        var kind: ClientKind?
        var id: Int64?
        var skipMe = true
        if cmd.args.count == 3 {
            // The old form: CLIENT KILL ip:port; it may kill the caller.
            address = cmd.args.string(at: 2)
            skipMe = false
        } else {
            var index = 2
            while index < cmd.args.count {
                guard index + 1 < cmd.args.count else { throw .syntax }
                if cmd.argument(index, is: "id") {
                    guard let value = cmd.args.int64(at: index + 1), value >= 1 else {
                        throw ReplyError("client-id should be greater than 0")
                    }
                    id = value
                } else if cmd.argument(index, is: "type") {
                    kind = try clientKind(cmd, index + 1)
                } else if cmd.argument(index, is: "addr") {
                    address = cmd.args.string(at: index + 1)
                } else if cmd.argument(index, is: "laddr") {
                    localAddress = cmd.args.string(at: index + 1)
                } else if cmd.argument(index, is: "user") {
                    let name = cmd.args.string(at: index + 1)
                    guard let named = cmd.engine.acl.user(named: name) else { throw ReplyError("No such user '\(name)'") }
                    user = named
                } else if cmd.argument(index, is: "skipme") {
                    if cmd.argument(index + 1, is: "yes") {
                        skipMe = true
                    } else if cmd.argument(index + 1, is: "no") {
                        skipMe = false
                    } else {
                        throw .syntax
                    }
                } else {
                    throw .syntax
                }
                index += 2
            }
        }
        var killed = 0
        var killSelf = false
        for session in cmd.engine.sessionsInOrder {
            if let address, session.transport?.remoteAddress != address { continue }
            if let localAddress, session.transport?.localAddress != localAddress { continue }
            if let kind, session.kind != kind { continue }
            if let id, session.id != id { continue }
            if let user, session.aclUser !== user { continue }
            if session === cmd.session {
                if skipMe { continue }
                killSelf = true
            } else {
                cmd.engine.disconnect(session)
            }
            killed += 1
        }
        if cmd.args.count == 3 {
            guard killed > 0 else { throw ReplyError("No such client") }
            cmd.reply.ok()
        } else {
            cmd.reply.integer(killed)
        }
        // The caller is closed only after its reply is queued.
        if killSelf { cmd.session.closeAfterReply = true }
    }

    /// CLIENT SETNAME name → +OK.
    static func setname(_ cmd: CommandContext) throws(ReplyError) {
        try setName(cmd.session, cmd.args.bytes(at: 2))
        cmd.reply.ok()
    }

    /// Sets (or with "" clears) a session's name; only printable characters without spaces are allowed.
    static func setName(_ session: Session, _ name: [UInt8]) throws(ReplyError) {
        guard name.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw ReplyError("Client names cannot contain spaces, newlines or special characters.")
        }
        session.name = name.isEmpty ? nil : String(decoding: name, as: UTF8.self)
    }

    /// CLIENT GETNAME → bulk string or null.
    static func getname(_ cmd: CommandContext) throws(ReplyError) {
        if let name = cmd.session.name { cmd.reply.bulk(name) } else { cmd.reply.null() }
    }

    /// CLIENT SETINFO LIB-NAME|LIB-VER value → +OK (Redis 7.2).
    static func setinfo(_ cmd: CommandContext) throws(ReplyError) {
        let value = cmd.args.bytes(at: 3)
        let attribute = cmd.args.string(at: 2)
        guard value.allSatisfy({ $0 >= 0x21 && $0 <= 0x7E }) else {
            throw ReplyError("\(attribute) cannot contain spaces, newlines or special characters.")
        }
        let text = value.isEmpty ? nil : String(decoding: value, as: UTF8.self)
        if cmd.argument(2, is: "lib-name") {
            cmd.session.libraryName = text
        } else if cmd.argument(2, is: "lib-ver") {
            cmd.session.libraryVersion = text
        } else {
            throw ReplyError("Unrecognized option '\(attribute)'")
        }
        cmd.reply.ok()
    }

    /// CLIENT REPLY ON|OFF|SKIP → +OK for ON; OFF and SKIP reply nothing.
    static func reply(_ cmd: CommandContext) throws(ReplyError) {
        if cmd.argument(2, is: "on") {
            cmd.session.replyMode = .on
            cmd.reply.ok()
        } else if cmd.argument(2, is: "off") {
            cmd.session.replyMode = .off
        } else if cmd.argument(2, is: "skip") {
            if cmd.session.replyMode != .off { cmd.session.replyMode = .skipNext }
        } else {
            throw .syntax
        }
    }

    /// CLIENT NO-EVICT ON|OFF → +OK.
    static func noEvict(_ cmd: CommandContext) throws(ReplyError) {
        cmd.session.isNoEvict = try onOff(cmd, 2)
        cmd.reply.ok()
    }

    /// CLIENT NO-TOUCH ON|OFF → +OK (Redis 7.2).
    static func noTouch(_ cmd: CommandContext) throws(ReplyError) {
        cmd.session.isNoTouch = try onOff(cmd, 2)
        cmd.reply.ok()
    }

    /// CLIENT PAUSE timeout [WRITE|ALL] → +OK.
    static func pause(_ cmd: CommandContext) throws(ReplyError) {
        guard cmd.args.count <= 4 else { throw .syntax }
        var kind = ClientPause.Kind.all
        if cmd.args.count == 4 {
            if cmd.argument(3, is: "write") {
                kind = .write
            } else if cmd.argument(3, is: "all") {
                kind = .all
            } else {
                throw ReplyError("CLIENT PAUSE mode must be WRITE or ALL")
            }
        }
        guard let timeout = cmd.args.int64(at: 2) else { throw ReplyError("timeout is not an integer or out of range") }
        guard timeout >= 0 else { throw .timeoutNegative }
        let (deadline, overflow) = cmd.now.addingReportingOverflow(timeout)
        guard !overflow else { throw ReplyError("timeout is out of range") }
        cmd.engine.pauseClients(kind, until: deadline)
        cmd.reply.ok()
    }

    /// CLIENT UNPAUSE → +OK.
    static func unpause(_ cmd: CommandContext) throws(ReplyError) {
        cmd.engine.unpauseClients()
        cmd.reply.ok()
    }

    private static func onOff(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> Bool {
        if cmd.argument(index, is: "on") { return true }
        if cmd.argument(index, is: "off") { return false }
        throw .syntax
    }

    private static func clientKind(_ cmd: CommandContext, _ index: Int) throws(ReplyError) -> ClientKind {
        let name = cmd.args.lowercasedString(at: index)
        switch name {
        case "normal": return .normal
        case "slave", "replica": return .replica
        case "pubsub": return .pubsub
        case "master": return .master
        default: throw ReplyError("Unknown client type '\(cmd.args.string(at: index))'")
        }
    }
}
