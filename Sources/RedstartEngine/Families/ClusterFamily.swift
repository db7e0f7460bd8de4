// CLUSTER, READONLY, READWRITE and ASKING on a server that is not a cluster node, as
// Redis with cluster-enabled no answers them: every one replies "This instance has
// cluster support disabled" (ACL rules and scripts can still name them).
// The subcommands are declared with Redis's arity and flags, so COMMAND reports them and
// scripts meet Redis's checks (CLUSTER RESET is noscript). Cluster mode (a later issue)
// replaces the handler.

enum ClusterFamily: CommandFamily {
    static var commands: [CommandSpec] {
        let admin: CommandFlags = [.admin, .stale, .noAsyncLoading]
        let subcommands: [(String, Int, CommandFlags)] = [
            ("addslots", -3, admin), ("addslotsrange", -4, admin), ("bumpepoch", 2, admin),
            ("count-failure-reports", 3, [.admin, .stale]), ("countkeysinslot", 3, [.stale]),
            ("delslots", -3, admin), ("delslotsrange", -4, admin), ("failover", -2, admin),
            ("flushslots", 2, admin), ("forget", 3, admin), ("getkeysinslot", 4, [.stale]),
            ("help", 2, [.loading, .stale]), ("info", 2, [.stale]), ("keyslot", 3, [.stale]),
            ("links", 2, [.stale]), ("meet", -4, admin), ("myid", 2, [.stale]), ("nodes", 2, [.stale]),
            ("replicas", 3, [.admin, .stale]), ("replicate", 3, admin), ("reset", -2, [.admin, .noScript, .stale]),
            ("saveconfig", 2, admin), ("set-config-epoch", 3, admin), ("setslot", -4, admin),
            ("shards", 2, [.stale]), ("slaves", 3, [.admin, .stale]), ("slots", 2, [.stale]),
        ]
        return [
            .init(
                "cluster", arity: -2, group: "cluster",
                subcommands: subcommands.map { name, arity, flags in
                    .init(name, arity: arity, flags: flags, group: "cluster", run: disabled)
                }),
            .init("readonly", arity: 1, flags: [.loading, .stale, .fast], acl: [.connection], group: "cluster", run: disabled),
            .init("readwrite", arity: 1, flags: [.loading, .stale, .fast], acl: [.connection], group: "cluster", run: disabled),
            .init("asking", arity: 1, flags: [.fast], acl: [.connection], group: "cluster", run: disabled),
        ]
    }

    /// CLUSTER <subcommand> ... → `-ERR This instance has cluster support disabled`.
    static func disabled(_ cmd: CommandContext) throws(ReplyError) {
        throw ReplyError("This instance has cluster support disabled")
    }
}
