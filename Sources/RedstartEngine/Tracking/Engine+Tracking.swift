// Client-side caching, Redis 7.0's way. A tracking client's read-only commands
// put their keys in the tracking table (OPTIN/OPTOUT decide with CLIENT
// CACHING); a change to a key (keyModified, expiry, eviction) sends the readers
// an invalidation and takes the key out of the table. Broadcasting clients
// instead subscribe to prefixes and get, once per event-loop turn, the keys
// changed under them. Messages are RESP3 pushes (`invalidate`), or, redirected
// to a RESP2 client subscribed to `__redis__:invalidate`, Pub/Sub messages of
// that channel; a flush invalidates everything with a null. A message for the
// running client follows its reply, never lands inside it.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartRESP

extension Engine {
    // MARK: - Turning tracking on and off

    /// CLIENT TRACKING ON with its options (already checked), as Redis's enableTracking:
    /// broadcast prefixes add to the ones the client has; no prefix means every key.
    func enableTracking(_ session: Session, _ mode: TrackingMode, prefixes: [ByteString]) {
        if session.tracking == nil { tracking.clientCount += 1 }
        var updated = session.tracking ?? TrackingMode()
        updated.redirect = mode.redirect
        updated.broadcast = mode.broadcast
        updated.optIn = mode.optIn
        updated.optOut = mode.optOut
        updated.noLoop = mode.noLoop
        updated.brokenRedirect = false
        if mode.broadcast {
            for prefix in prefixes.isEmpty ? [ByteString()] : prefixes {
                let state = tracking.prefixes[prefix] ?? BroadcastPrefix()
                tracking.prefixes[prefix] = state
                guard !state.subscribers.contains(where: { $0 === session }) else { continue }
                state.subscribers.append(session)
                updated.prefixes.append(prefix)
            }
            updated.prefixes.sort { $0.lexicographicallyPrecedes($1) }
        }
        session.tracking = updated
    }

    /// CLIENT TRACKING OFF, RESET and disconnection: leaves the broadcast prefixes (a prefix
    /// without subscribers goes away). The keys the client read stay in the table.
    func disableTracking(_ session: Session) {
        guard let mode = session.tracking else { return }
        if mode.broadcast {
            for prefix in mode.prefixes {
                guard let state = tracking.prefixes[prefix] else { continue }
                state.subscribers.removeAll { $0 === session }
                if state.subscribers.isEmpty { tracking.prefixes[prefix] = nil }
            }
        }
        tracking.clientCount -= 1
        session.tracking = nil
    }

    // MARK: - Remembering reads

    /// After a read-only command: the keys it named are now cached by the client that
    /// sent it (for a command called by a script, the script's caller, with the script's
    /// declared keys), unless OPTIN/OPTOUT and CLIENT CACHING say otherwise.
    func rememberTrackedKeys(_ spec: CommandSpec, _ args: CommandArguments, _ session: Session) {
        var reader = session
        var command = (spec: spec, args: args)
        if session.isScriptClient {
            guard let caller = runningSession, let running = runningCommand else { return }
            reader = caller
            command = (running.spec, running.args)
        }
        guard let mode = reader.tracking, !mode.broadcast else { return }
        if (mode.optIn && !mode.caching) || (mode.optOut && mode.caching) { return }
        if command.spec.flags.contains(.pubsub) { return }
        guard
            let keys = KeySpec.keys(
                of: command.spec, specs: catalog.parsedKeySpecs(command.spec.fullName), in: command.args)
        else { return }
        for key in keys where key.position < command.args.count {
            let name = command.args.withBytes(at: key.position) { ByteString($0) }
            tracking.remember(name, reader: reader.id)
        }
    }

    /// CLIENT CACHING lasts for one command or one transaction (CLIENT commands and the
    /// commands queued in MULTI keep it).
    func endTrackingCachingWindow(_ session: Session, after spec: CommandSpec) {
        guard session.tracking?.caching == true, !session.isInTransaction else { return }
        if spec.parent?.name == "client" || spec.name == "client" { return }
        session.tracking?.caching = false
    }

    // MARK: - Invalidation

    /// A key changed (or expired, or was evicted): its readers get an invalidation and the
    /// key leaves the table; with `broadcast`, prefixes over it remember it for the turn's
    /// broadcast, with the client that changed it (NOLOOP subscribers skip their own).
    func invalidateTrackedKey(_ key: UnsafeRawBufferPointer, changedBy modifier: Session?, broadcast: Bool = true) {
        let name = ByteString(key)
        if broadcast && !tracking.prefixes.isEmpty {
            for (prefix, state) in tracking.prefixes where prefix.count <= key.count {
                let matches = prefix.withUnsafeBytes { prefixBytes in
                    prefixBytes.count == 0 || memcmp(prefixBytes.baseAddress!, key.baseAddress!, prefixBytes.count) == 0
                }
                if matches { state.changedKeys[name] = modifier?.id ?? 0 }
            }
        }
        guard let readers = tracking.remove(name) else { return }
        var payload = ByteBufferAllocator().buffer(capacity: key.count + 16)
        payload.writeStaticString("*1\r\n$")
        payload.writeString(String(key.count))
        payload.writeStaticString("\r\n")
        payload.writeBytes(key)
        payload.writeStaticString("\r\n")
        for id in readers {
            guard let target = sessions[id], let mode = target.tracking, !mode.broadcast else { continue }
            if mode.noLoop && target === runningSession { continue }
            payload.withUnsafeReadableBytes { sendTrackingMessage(to: target, $0) }
        }
    }

    /// FLUSHALL and FLUSHDB (of any database): every tracking client gets an invalidation
    /// with a null instead of keys, and the table is emptied.
    func invalidateTrackingOnFlush() {
        if tracking.clientCount > 0 {
            for session in sessionsInOrder where session.tracking != nil {
                let null: StaticString = session.protocolVersion == .resp3 ? "_\r\n" : "$-1\r\n"
                null.withUTF8Buffer { sendTrackingMessage(to: session, UnsafeRawBufferPointer($0)) }
            }
        }
        tracking.removeAllKeys()
    }

    /// Sends the keys changed under each broadcast prefix this turn to its subscribers (in
    /// byte order; a NOLOOP subscriber's own changes left out), then forgets them.
    public func broadcastTrackingInvalidations() {
        guard tracking.clientCount > 0, !tracking.prefixes.isEmpty else { return }
        let ordered = tracking.prefixes.sorted { $0.key.lexicographicallyPrecedes($1.key) }
        for (_, state) in ordered where !state.changedKeys.isEmpty {
            let changes = state.changedKeys.sorted { $0.key.lexicographicallyPrecedes($1.key) }
            state.changedKeys.removeAll()
            let everyone = encodeKeyArray(changes.map(\.key))
            for subscriber in state.subscribers {
                if subscriber.tracking?.noLoop == true {
                    let others = changes.filter { $0.value != subscriber.id }.map(\.key)
                    guard !others.isEmpty else { continue }
                    encodeKeyArray(others).withUnsafeReadableBytes { sendTrackingMessage(to: subscriber, $0) }
                } else {
                    everyone.withUnsafeReadableBytes { sendTrackingMessage(to: subscriber, $0) }
                }
            }
        }
        if !sessionsWithOutput.isEmpty { flushNotedOutput() }
    }

    /// tracking-table-max-keys: while the table holds more keys, invalidates random ones,
    /// trying 100 keys, then 200, 300 … on later calls that could not get below the limit.
    func enforceTrackingTableLimit() {
        let limit = trackingTableMaxKeys
        guard limit > 0, tracking.keyCount > limit else {
            tracking.limitEffortLevel = 0
            return
        }
        var effort = 100 * (tracking.limitEffortLevel + 1)
        while effort > 0, let key = tracking.randomKey(using: &random) {
            effort -= 1
            key.withUnsafeBytes { invalidateTrackedKey($0, changedBy: nil, broadcast: false) }
            if tracking.keyCount <= limit {
                tracking.limitEffortLevel = 0
                return
            }
        }
        tracking.limitEffortLevel += 1
    }

    // MARK: - Messages

    private func encodeKeyArray(_ keys: [ByteString]) -> ByteBuffer {
        var buffer = ByteBufferAllocator().buffer(capacity: 16 + keys.count * 16)
        buffer.writeStaticString("*")
        buffer.writeString(String(keys.count))
        buffer.writeStaticString("\r\n")
        for key in keys {
            key.withUnsafeBytes { raw in
                buffer.writeStaticString("$")
                buffer.writeString(String(raw.count))
                buffer.writeStaticString("\r\n")
                buffer.writeBytes(raw)
                buffer.writeStaticString("\r\n")
            }
        }
        return buffer
    }

    /// Sends an invalidation whose value part is `payload` (an array of keys or a null) to
    /// `target`, or to the client it redirects to: a RESP3 push, or for a RESP2 redirection
    /// client subscribed to anything a `__redis__:invalidate` message; nothing for a RESP2
    /// client without redirection. A redirection to a client that is gone marks it broken
    /// and tells a RESP3 `target` so.
    private func sendTrackingMessage(to target: Session, _ payload: UnsafeRawBufferPointer) {
        guard let mode = target.tracking else { return }
        let running = runningSession.map(ObjectIdentifier.init)
        var receiver = target
        var redirected = false
        if mode.redirect != 0 {
            guard let other = sessions[mode.redirect] else {
                target.tracking?.brokenRedirect = true
                if target.protocolVersion == .resp3 {
                    var message = ByteBufferAllocator().buffer(capacity: 48)
                    message.writeStaticString(">2\r\n$21\r\ntracking-redir-broken\r\n:")
                    message.writeString(String(mode.redirect))
                    message.writeStaticString("\r\n")
                    message.withUnsafeReadableBytes { deliver($0, to: target, running: running) }
                }
                return
            }
            receiver = other
            redirected = true
        }
        var message = ByteBufferAllocator().buffer(capacity: payload.count + 48)
        if receiver.protocolVersion == .resp3 {
            message.writeStaticString(">2\r\n$10\r\ninvalidate\r\n")
        } else if redirected && receiver.isSubscribed {
            message.writeStaticString("*3\r\n$7\r\nmessage\r\n$20\r\n__redis__:invalidate\r\n")
        } else {
            return
        }
        message.writeBytes(payload)
        message.withUnsafeReadableBytes { deliver($0, to: receiver, running: running) }
    }
}
