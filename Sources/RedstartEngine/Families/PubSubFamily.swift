// Pub/Sub commands: SUBSCRIBE, UNSUBSCRIBE, PSUBSCRIBE, PUNSUBSCRIBE,
// PUBLISH, SSUBSCRIBE, SUNSUBSCRIBE, SPUBLISH and PUBSUB's introspection.
// The registries and delivery are in PubSub/Engine+PubSub.swift; the RESP2
// "subscribed mode" restriction is enforced by the dispatcher.
import RedstartRESP

enum PubSubFamily: CommandFamily {
    static var commands: [CommandSpec] {
        let subscribing: CommandFlags = [.pubsub, .noScript, .loading, .stale, .allowedWhileSubscribed]
        let shardKeys = KeyPositions(first: 1, last: -1, step: 1)
        return [
            .init("subscribe", arity: -2, flags: subscribing, acl: [], group: "pubsub", run: subscribe),
            .init("unsubscribe", arity: -1, flags: subscribing, acl: [], group: "pubsub", run: unsubscribe),
            .init("psubscribe", arity: -2, flags: subscribing, acl: [], group: "pubsub", run: psubscribe),
            .init("punsubscribe", arity: -1, flags: subscribing, acl: [], group: "pubsub", run: punsubscribe),
            .init("ssubscribe", arity: -2, flags: subscribing, keys: shardKeys, acl: [], group: "pubsub", run: ssubscribe),
            .init(
                "sunsubscribe", arity: -1, flags: subscribing, keys: shardKeys, acl: [], group: "pubsub", run: sunsubscribe),
            .init(
                "publish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], acl: [], group: "pubsub",
                run: publish),
            .init(
                "spublish", arity: 3, flags: [.pubsub, .loading, .stale, .fast, .mayReplicate], keys: .first, acl: [],
                group: "pubsub", run: spublish),
            .init(
                "pubsub", arity: -2, acl: [], group: "pubsub",
                subcommands: [
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [], group: "pubsub", run: help),
                    .init("channels", arity: -2, flags: [.pubsub, .loading, .stale], acl: [], group: "pubsub", run: channels),
                    .init("numsub", arity: -2, flags: [.pubsub, .loading, .stale], acl: [], group: "pubsub", run: numsub),
                    .init("numpat", arity: 2, flags: [.pubsub, .loading, .stale], acl: [], group: "pubsub", run: numpat),
                    .init(
                        "shardchannels", arity: -2, flags: [.pubsub, .loading, .stale], acl: [], group: "pubsub",
                        run: shardchannels),
                    .init(
                        "shardnumsub", arity: -2, flags: [.pubsub, .loading, .stale], acl: [], group: "pubsub",
                        run: shardnumsub),
                ]),
        ]
    }

    static func subscribe(_ cmd: CommandContext) throws(ReplyError) { try subscribeAll(cmd, .channel) }
    static func psubscribe(_ cmd: CommandContext) throws(ReplyError) { try subscribeAll(cmd, .pattern) }
    static func ssubscribe(_ cmd: CommandContext) throws(ReplyError) { try subscribeAll(cmd, .shard) }
    static func unsubscribe(_ cmd: CommandContext) throws(ReplyError) { unsubscribeAll(cmd, .channel) }
    static func punsubscribe(_ cmd: CommandContext) throws(ReplyError) { unsubscribeAll(cmd, .pattern) }
    static func sunsubscribe(_ cmd: CommandContext) throws(ReplyError) { unsubscribeAll(cmd, .shard) }

    /// (P|S)SUBSCRIBE name [name ...] → one confirmation per name.
    private static func subscribeAll(_ cmd: CommandContext, _ kind: SubscriptionKind) throws(ReplyError) {
        for index in 1..<cmd.args.count {
            cmd.engine.subscribe(cmd.session, to: cmd.args.withBytes(at: index) { ByteString($0) }, kind)
        }
    }

    /// (P|S)UNSUBSCRIBE [name ...] → one confirmation per name (all when none are given).
    private static func unsubscribeAll(_ cmd: CommandContext, _ kind: SubscriptionKind) {
        guard cmd.args.count > 1 else {
            cmd.engine.unsubscribeAll(cmd.session, kind)
            return
        }
        for index in 1..<cmd.args.count {
            cmd.engine.unsubscribe(cmd.session, from: cmd.args.withBytes(at: index) { ByteString($0) }, kind)
        }
    }

    /// PUBLISH channel message → integer: receivers.
    static func publish(_ cmd: CommandContext) throws(ReplyError) {
        let receivers = cmd.args.withBytes(at: 1) { channel in
            cmd.args.withBytes(at: 2) { cmd.engine.publish(channel, $0, shard: false) }
        }
        // Replicas publish it to their own subscribers; the AOF does not keep it.
        cmd.engine.forceRunningCommandPropagation(to: .replicas)
        cmd.reply.integer(receivers)
    }

    /// SPUBLISH shardchannel message → integer: receivers.
    static func spublish(_ cmd: CommandContext) throws(ReplyError) {
        let receivers = cmd.args.withBytes(at: 1) { channel in
            cmd.args.withBytes(at: 2) { cmd.engine.publish(channel, $0, shard: true) }
        }
        cmd.engine.forceRunningCommandPropagation(to: .replicas)
        cmd.reply.integer(receivers)
    }

    static func help(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "CHANNELS [<pattern>]",
            "    Return the currently active channels matching a <pattern> (default: '*').",
            "NUMPAT",
            "    Return number of subscriptions to patterns.",
            "NUMSUB [<channel> ...]",
            "    Return the number of subscribers for the specified channels, excluding",
            "    pattern subscriptions(default: no channels).",
            "SHARDCHANNELS [<pattern>]",
            "    Return the currently active shard level channels matching a <pattern> (default: '*').",
            "SHARDNUMSUB [<shardchannel> ...]",
            "    Return the number of subscribers for the specified shard level channel(s)",
        ])
    }

    static func channels(_ cmd: CommandContext) throws(ReplyError) { try listChannels(cmd, shard: false) }
    static func shardchannels(_ cmd: CommandContext) throws(ReplyError) { try listChannels(cmd, shard: true) }

    /// PUBSUB (SHARD)CHANNELS [pattern] → the active channels.
    private static func listChannels(_ cmd: CommandContext, shard: Bool) throws(ReplyError) {
        guard cmd.args.count <= 3 else { throw .wrongArity(cmd.spec.fullName) }
        let pattern = cmd.args.count == 3 ? cmd.args.bytes(at: 2) : nil
        let names = cmd.engine.activeChannels(shard: shard, matching: pattern)
        cmd.reply.arrayHeader(names.count)
        for name in names { name.withUnsafeBytes { cmd.reply.bulk($0) } }
    }

    static func numsub(_ cmd: CommandContext) throws(ReplyError) { countSubscribers(cmd, shard: false) }
    static func shardnumsub(_ cmd: CommandContext) throws(ReplyError) { countSubscribers(cmd, shard: true) }

    /// PUBSUB (SHARD)NUMSUB [channel ...] → a flat array of channel, count.
    private static func countSubscribers(_ cmd: CommandContext, shard: Bool) {
        cmd.reply.arrayHeader((cmd.args.count - 2) * 2)
        for index in 2..<cmd.args.count {
            let name = cmd.args.withBytes(at: index) { ByteString($0) }
            name.withUnsafeBytes { cmd.reply.bulk($0) }
            let subscribers = shard ? cmd.engine.shardSubscribers[name] : cmd.engine.channelSubscribers[name]
            cmd.reply.integer(subscribers?.count ?? 0)
        }
    }

    /// PUBSUB NUMPAT → integer: patterns with subscribers.
    static func numpat(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.engine.patternSubscribers.count)
    }
}
