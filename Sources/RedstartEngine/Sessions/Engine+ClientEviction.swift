// maxmemory-clients (Redis 7.0's client eviction): when the memory all normal and
// Pub/Sub clients hold (query buffers, arguments, reply buffers and output not
// yet sent, MULTI queues, watched keys, subscriptions, tracking prefixes) reaches
// the limit, the biggest clients are disconnected until it is under it again.
// CLIENT NO-EVICT exempts a client. The check runs before each command and at the
// end of each loop turn once its replies are sent (partial commands that grew, output
// queued for others), only while the limit is set.

extension Engine {
    /// What a client holds, as CLIENT LIST's tot-mem= shows it and client eviction
    /// counts it (Redis's getClientMemoryUsage, with this server's buffers).
    public func clientMemory(_ session: Session) -> Int {
        let transport = session.transport
        var total = 1024  // the session and its connection's state
        total += transport?.queryBufferMemory ?? 0
        total += session.reply.buffer.capacity + (transport?.pendingOutputBytes ?? 0)
        total += argumentMemory(session) + session.transactionMemory
        total += (session.subscribedChannels.count + session.subscribedPatterns.count + session.subscribedShardChannels.count) * 48
        total += (session.tracking?.prefixes.count ?? 0) * 64
        return total
    }

    /// The bytes of the arguments of the command `session` is running and of a partly
    /// received one (CLIENT LIST's argv-mem=, Redis's argv_len_sum).
    func argumentMemory(_ session: Session) -> Int {
        var total = session.transport?.parsedArgumentBytes ?? 0
        if session === runningSession, let args = runningCommand?.args {
            for index in 0..<args.count { total += args.length(at: index) }
        }
        return total
    }

    /// maxmemory-clients in bytes: the setting, or its percentage of maxmemory; at least 128 KB
    /// so that clients can still talk to a misconfigured server; 0 when off.
    var clientEvictionLimit: Int {
        var limit: Int
        if maxMemoryClients < 0 {
            guard maxMemory > 0 else { return 0 }
            limit = Int(Double(maxMemory) * Double(-maxMemoryClients) / 100)
        } else if maxMemoryClients > 0 {
            limit = maxMemoryClients
        } else {
            return 0
        }
        return max(limit, 128 * 1024)
    }

    /// Disconnects the biggest evictable clients while the clients' memory is over
    /// maxmemory-clients; true when `current` was among them.
    @discardableResult
    public func evictClientsIfNeeded(current: Session? = nil) -> Bool {
        let limit = clientEvictionLimit
        guard limit > 0 else { return false }
        // Runs before every command while the limit is set: the sum first, and the list of
        // candidates only when it is over.
        var total = 0
        for session in sessions.values where !session.isScriptClient && !session.isReplayClient && session.replicationKind == nil {
            total += clientMemory(session)
        }
        guard total > limit else { return false }
        var sizes: [(session: Session, bytes: Int)] = []
        for session in sessions.values where !session.isScriptClient && !session.isReplayClient && !session.isNoEvict
            && session.replicationKind == nil
        {
            sizes.append((session, clientMemory(session)))
        }
        sizes.sort { $0.bytes > $1.bytes }
        var evictedCurrent = false
        for (session, bytes) in sizes {
            guard total > limit else { break }
            log(.notice, "Evicting client: \(clientInfoLine(session))")
            stats.evictedClients += 1
            total -= bytes
            if session === current { evictedCurrent = true }
            disconnect(session)
        }
        if total >= limit { log(.warning, "Over client maxmemory after evicting all evictable clients") }
        return evictedCurrent
    }
}
