// XINFO STREAM [FULL [COUNT n]], XINFO GROUPS, XINFO CONSUMERS and XINFO HELP,
// with Redis 7.0's fields and order. radix-tree-nodes counts the nodes of the
// radix tree Redis would hold for the stream's node keys (a compressed trie of
// 16-byte IDs), so the number matches Redis's for the same nodes.
import RedstartRESP

extension StreamFamily {
    static var infoCommands: [CommandSpec] {
        let keyAt2 = KeyPositions(first: 2, last: 2, step: 1)
        return [
            .init(
                "xinfo", arity: -2, group: "stream",
                subcommands: [
                    .init("consumers", arity: 4, flags: [.readonly], keys: keyAt2, acl: [.stream], group: "stream", run: xinfoConsumers),
                    .init("groups", arity: 3, flags: [.readonly], keys: keyAt2, acl: [.stream], group: "stream", run: xinfoGroups),
                    .init("stream", arity: -3, flags: [.readonly], keys: keyAt2, acl: [.stream], group: "stream", run: xinfoStream),
                    .init("help", arity: 2, flags: [.loading, .stale], acl: [.stream], group: "stream", run: xinfoHelp),
                ]),
        ]
    }

    /// The stream of argument 2, or `-ERR no such key`.
    private static func infoTarget(_ cmd: CommandContext) throws(ReplyError) -> StreamValue {
        guard let entry = cmd.args.withBytes(at: 2, { cmd.engine.lookupRead(cmd.db, $0) }) else { throw .noSuchKey }
        return try streamValue(cmd.db, entry)
    }

    /// XINFO HELP → status lines.
    static func xinfoHelp(_ cmd: CommandContext) throws(ReplyError) {
        cmd.replyHelp([
            "CONSUMERS <key> <groupname>",
            "    Show consumers of <groupname>.",
            "GROUPS <key>",
            "    Show the stream consumer groups.",
            "STREAM <key> [FULL [COUNT <count>]",
            "    Show information about the stream.",
        ])
    }

    /// XINFO CONSUMERS key group → [{name, pending, idle}, ...].
    static func xinfoConsumers(_ cmd: CommandContext) throws(ReplyError) {
        let stream = try infoTarget(cmd)
        guard let group = cmd.args.withBytes(at: 3, { stream.groups[ByteString($0)] }) else {
            throw ReplyError(
                code: "NOGROUP", "No such consumer group '\(cmd.args.string(at: 3))' for key name '\(cmd.args.string(at: 2))'")
        }
        let now = cmd.engine.clock.wallMilliseconds
        let consumers = group.consumersInOrder
        cmd.reply.arrayHeader(consumers.count)
        for consumer in consumers {
            cmd.reply.mapHeader(3)
            cmd.reply.bulk("name")
            consumer.name.withUnsafeBytes { cmd.reply.bulk($0) }
            cmd.reply.bulk("pending")
            cmd.reply.integer(consumer.pending.count)
            cmd.reply.bulk("idle")
            cmd.reply.integer(max(now - consumer.seenTime, 0))
        }
    }

    /// XINFO GROUPS key → [{name, consumers, pending, last-delivered-id, entries-read, lag}, ...].
    static func xinfoGroups(_ cmd: CommandContext) throws(ReplyError) {
        let stream = try infoTarget(cmd)
        let groups = stream.groupsInOrder
        cmd.reply.arrayHeader(groups.count)
        for group in groups {
            cmd.reply.mapHeader(6)
            cmd.reply.bulk("name")
            group.name.withUnsafeBytes { cmd.reply.bulk($0) }
            cmd.reply.bulk("consumers")
            cmd.reply.integer(group.consumers.count)
            cmd.reply.bulk("pending")
            cmd.reply.integer(group.pending.count)
            cmd.reply.bulk("last-delivered-id")
            replyID(&cmd.session.reply, group.lastID)
            replyGroupCounters(cmd, stream, group)
        }
    }

    /// entries-read and lag (null when unknown).
    private static func replyGroupCounters(_ cmd: CommandContext, _ stream: StreamValue, _ group: StreamConsumerGroup) {
        cmd.reply.bulk("entries-read")
        if group.entriesRead != StreamConsumerGroup.invalidEntriesRead {
            cmd.reply.integer(group.entriesRead)
        } else {
            cmd.reply.null()
        }
        cmd.reply.bulk("lag")
        if let lag = stream.lag(of: group) { cmd.reply.integer(lag) } else { cmd.reply.null() }
    }

    /// XINFO STREAM key [FULL [COUNT n]] → the stream's counters and first/last entries, or
    /// with FULL its entries (at most n, default 10, 0: all) and every group in detail.
    static func xinfoStream(_ cmd: CommandContext) throws(ReplyError) {
        let stream = try infoTarget(cmd)
        let options = cmd.args.count - 3
        var full = false
        var count: Int64 = 10
        if options > 0 {
            guard options == 1 || options == 3, cmd.args.isEqual(at: 3, toLowercase: "full") else {
                throw cmd.subcommandSyntaxError()
            }
            full = true
            if options == 3 {
                guard cmd.args.isEqual(at: 4, toLowercase: "count") else { throw cmd.subcommandSyntaxError() }
                count = try cmd.integer(5)
                if count < 0 { count = 10 }
            }
        }
        cmd.reply.mapHeader(full ? 9 : 10)
        cmd.reply.bulk("length")
        cmd.reply.integer(stream.length)
        cmd.reply.bulk("radix-tree-keys")
        cmd.reply.integer(stream.nodeCount)
        cmd.reply.bulk("radix-tree-nodes")
        cmd.reply.integer(stream.radixTreeNodes)
        cmd.reply.bulk("last-generated-id")
        replyID(&cmd.session.reply, stream.lastID)
        cmd.reply.bulk("max-deleted-entry-id")
        replyID(&cmd.session.reply, stream.maxDeletedID)
        cmd.reply.bulk("entries-added")
        cmd.reply.integer(Int64(bitPattern: stream.entriesAdded))
        cmd.reply.bulk("recorded-first-entry-id")
        replyID(&cmd.session.reply, stream.firstID)
        if !full {
            cmd.reply.bulk("groups")
            cmd.reply.integer(stream.groups.count)
            for (label, last) in [("first-entry", false), ("last-entry", true)] {
                cmd.reply.bulk(label)
                var emitted = false
                stream.forEach(from: .zero, to: .max, reverse: last) { entry in
                    replyEntry(&cmd.session.reply, entry)
                    emitted = true
                    return false
                }
                if !emitted { cmd.reply.null() }
            }
            return
        }
        let limit = Int(clamping: count)
        cmd.reply.bulk("entries")
        replyRange(cmd, stream, from: .zero, to: .max, count: limit)
        cmd.reply.bulk("groups")
        let groups = stream.groupsInOrder
        cmd.reply.arrayHeader(groups.count)
        for group in groups {
            cmd.reply.mapHeader(7)
            cmd.reply.bulk("name")
            group.name.withUnsafeBytes { cmd.reply.bulk($0) }
            cmd.reply.bulk("last-delivered-id")
            replyID(&cmd.session.reply, group.lastID)
            replyGroupCounters(cmd, stream, group)
            cmd.reply.bulk("pel-count")
            cmd.reply.integer(group.pending.count)
            cmd.reply.bulk("pending")
            var rows: [(StreamID, PendingEntry)] = []
            group.pending.forEach { id, pending in
                rows.append((id, pending))
                return limit == 0 || rows.count < limit
            }
            cmd.reply.arrayHeader(rows.count)
            for (id, pending) in rows {
                cmd.reply.arrayHeader(4)
                replyID(&cmd.session.reply, id)
                pending.consumer.name.withUnsafeBytes { cmd.reply.bulk($0) }
                cmd.reply.integer(pending.deliveryTime)
                cmd.reply.integer(pending.deliveryCount)
            }
            cmd.reply.bulk("consumers")
            let consumers = group.consumersInOrder
            cmd.reply.arrayHeader(consumers.count)
            for consumer in consumers {
                cmd.reply.mapHeader(4)
                cmd.reply.bulk("name")
                consumer.name.withUnsafeBytes { cmd.reply.bulk($0) }
                cmd.reply.bulk("seen-time")
                cmd.reply.integer(consumer.seenTime)
                cmd.reply.bulk("pel-count")
                cmd.reply.integer(consumer.pending.count)
                cmd.reply.bulk("pending")
                var owned: [StreamID] = []
                consumer.pending.forEach { id, _ in
                    owned.append(id)
                    return limit == 0 || owned.count < limit
                }
                cmd.reply.arrayHeader(owned.count)
                for id in owned {
                    let pending = group.pending[id]
                    cmd.reply.arrayHeader(3)
                    replyID(&cmd.session.reply, id)
                    cmd.reply.integer(pending?.deliveryTime ?? 0)
                    cmd.reply.integer(pending?.deliveryCount ?? 0)
                }
            }
        }
    }
}

extension StreamValue {
    /// The nodes of the radix tree Redis keeps over this stream's node keys (16-byte
    /// big-endian IDs): a compressed node per run of single-child steps, a branch node
    /// per fork, a leaf per key; an empty tree is its root alone.
    var radixTreeNodes: Int {
        let keys = nodes.map { $0.masterID.keyBytes }
        guard !keys.isEmpty else { return 1 }
        func count(_ range: Range<Int>, depth: Int) -> Int {
            if range.count == 1 { return depth == 16 ? 1 : 2 }
            var prefix = 0
            while depth + prefix < 16 && keys[range.lowerBound][depth + prefix] == keys[range.upperBound - 1][depth + prefix] {
                prefix += 1
            }
            let fork = depth + prefix
            var nodes = (prefix > 0 ? 1 : 0) + 1
            var start = range.lowerBound
            while start < range.upperBound {
                var end = start + 1
                while end < range.upperBound && keys[end][fork] == keys[start][fork] { end += 1 }
                nodes += count(start..<end, depth: fork + 1)
                start = end
            }
            return nodes
        }
        return count(0..<keys.count, depth: 0)
    }
}
