// The replication commands, with Redis 7.0's arity, flags and ACL categories:
// REPLICAOF/SLAVEOF, ROLE, REPLCONF, PSYNC, SYNC and WAIT. They are registered
// with the server's command table (Replication owns what they act on).
import RedstartEngine
import RedstartRESP

enum ReplicationCommands {
    static var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .noScript, .stale, .noAsyncLoading]
        return [
            .init("replicaof", arity: 3, flags: admin, group: "server", run: replicaOf),
            .init("slaveof", arity: 3, flags: admin, group: "server", run: replicaOf),
            .init("role", arity: 1, flags: [.noScript, .loading, .stale, .fast], acl: [.admin, .dangerous], group: "server", run: role),
            .init("replconf", arity: -1, flags: [.admin, .noScript, .loading, .stale, .allowBusy], group: "server", run: replconf),
            .init("psync", arity: -3, flags: [.admin, .noScript, .noAsyncLoading, .noMulti], group: "server", run: psync),
            .init("sync", arity: 1, flags: [.admin, .noScript, .noAsyncLoading, .noMulti], group: "server", run: sync),
            .init("wait", arity: 3, flags: [.noScript], acl: [.connection], group: "generic", run: wait),
            .init("failover", arity: -1, flags: [.admin, .noScript, .stale], group: "server", run: failover),
        ]
    }

    private static func replication(_ cmd: CommandContext) -> Replication {
        cmd.engine.replication as! Replication
    }

    /// REPLICAOF host port | NO ONE.
    static func replicaOf(_ cmd: CommandContext) throws(ReplyError) {
        let replication = replication(cmd)
        let requestedBy = cmd.engine.clientInfoLine(cmd.session)
        if replication.failover != nil { throw ReplyError("REPLICAOF not allowed while failing over.") }
        if cmd.argument(1, is: "no") && cmd.argument(2, is: "one") {
            if replication.isReplica {
                replication.stopFollowing(requestedBy: requestedBy)
                cmd.engine.config.restore("replicaof", canonical: "")
            }
            cmd.reply.ok()
            return
        }
        if cmd.session.replicationKind == .replica { throw ReplyError("Command is not valid when client is a replica.") }
        guard let port = cmd.args.int64(at: 2), port >= 0, port <= 65535 else { throw ReplyError("Invalid master port") }
        let host = String(decoding: cmd.args.bytes(at: 1), as: UTF8.self)
        if let current = replication.primaryAddress, current.host.lowercased() == host.lowercased(), current.port == port {
            replication.log.write(
                .notice,
                "REPLICAOF would result into synchronization with the master we are already connected with. No operation performed.")
            cmd.reply.simpleString("OK Already connected to specified master")
            return
        }
        replication.follow(host: host, port: Int(port), requestedBy: requestedBy)
        cmd.engine.config.restore("replicaof", canonical: "\(host) \(port)")
        cmd.reply.ok()
    }

    static func role(_ cmd: CommandContext) throws(ReplyError) {
        replication(cmd).writeRole(&cmd.reply)
    }

    static func replconf(_ cmd: CommandContext) throws(ReplyError) {
        try replication(cmd).replconf(cmd)
    }

    static func psync(_ cmd: CommandContext) throws(ReplyError) {
        try replication(cmd).synchronize(cmd, psync: true)
    }

    static func sync(_ cmd: CommandContext) throws(ReplyError) {
        try replication(cmd).synchronize(cmd, psync: false)
    }

    static func failover(_ cmd: CommandContext) throws(ReplyError) {
        try replication(cmd).failoverCommand(cmd)
    }

    static func wait(_ cmd: CommandContext) throws(ReplyError) {
        try replication(cmd).wait(cmd)
    }
}
