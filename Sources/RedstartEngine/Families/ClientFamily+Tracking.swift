// CLIENT TRACKING, CACHING, GETREDIR and TRACKINGINFO: the commands of
// client-side caching, with Redis 7.0's option rules and error texts. The
// tracking itself is in Tracking/Engine+Tracking.swift.
#if canImport(Glibc)
import Glibc
#endif
import RedstartRESP

extension ClientFamily {
    /// CLIENT TRACKING ON|OFF [REDIRECT id] [BCAST] [PREFIX prefix ...] [OPTIN] [OPTOUT]
    /// [NOLOOP] → OK.
    static func tracking(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let session = cmd.session
        var mode = TrackingMode()
        var prefixes: [ByteString] = []
        var index = 3
        while index < cmd.args.count {
            let hasMore = index + 1 < cmd.args.count
            if cmd.argument(index, is: "redirect") && hasMore {
                index += 1
                if mode.redirect != 0 { throw ReplyError("A client can only redirect to a single other client") }
                mode.redirect = try cmd.integer(index)
                if engine.sessions[mode.redirect] == nil {
                    throw ReplyError("The client ID you want redirect to does not exist")
                }
            } else if cmd.argument(index, is: "bcast") {
                mode.broadcast = true
            } else if cmd.argument(index, is: "optin") {
                mode.optIn = true
            } else if cmd.argument(index, is: "optout") {
                mode.optOut = true
            } else if cmd.argument(index, is: "noloop") {
                mode.noLoop = true
            } else if cmd.argument(index, is: "prefix") && hasMore {
                index += 1
                prefixes.append(cmd.args.withBytes(at: index) { ByteString($0) })
            } else {
                throw .syntax
            }
            index += 1
        }
        if cmd.argument(2, is: "on") {
            if !mode.broadcast && !prefixes.isEmpty { throw ReplyError("PREFIX option requires BCAST mode to be enabled") }
            if let current = session.tracking, current.broadcast != mode.broadcast {
                throw ReplyError(
                    "You can't switch BCAST mode on/off before disabling tracking for this client, and then re-enabling it with a different mode."
                )
            }
            if mode.broadcast && (mode.optIn || mode.optOut) {
                throw ReplyError("OPTIN and OPTOUT are not compatible with BCAST")
            }
            if mode.optIn && mode.optOut { throw ReplyError("You can't specify both OPTIN mode and OPTOUT mode") }
            if let current = session.tracking, (mode.optIn && current.optOut) || (mode.optOut && current.optIn) {
                throw ReplyError(
                    "You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then re-enabling it with a different mode."
                )
            }
            if mode.broadcast { try checkPrefixCollisions(prefixes, existing: session.tracking?.prefixes ?? []) }
            engine.enableTracking(session, mode, prefixes: prefixes)
        } else if cmd.argument(2, is: "off") {
            engine.disableTracking(session)
        } else {
            throw .syntax
        }
        cmd.reply.ok()
    }

    /// Broadcast prefixes of one client must not overlap (neither is a prefix of the other),
    /// among the new ones and with the ones it has.
    private static func checkPrefixCollisions(_ prefixes: [ByteString], existing: [ByteString]) throws(ReplyError) {
        func overlap(_ a: ByteString, _ b: ByteString) -> Bool {
            a.withUnsafeBytes { x in
                b.withUnsafeBytes { y in
                    let common = min(x.count, y.count)
                    return common == 0 || memcmp(x.baseAddress!, y.baseAddress!, common) == 0
                }
            }
        }
        func text(_ bytes: ByteString) -> String { String(decoding: bytes.bytes, as: UTF8.self) }
        for (i, prefix) in prefixes.enumerated() {
            if let old = existing.first(where: { overlap($0, prefix) }) {
                throw ReplyError(
                    "Prefix '\(text(prefix))' overlaps with an existing prefix '\(text(old))'. Prefixes for a single client must not overlap."
                )
            }
            if let other = prefixes[(i + 1)...].first(where: { overlap(prefix, $0) }) {
                throw ReplyError(
                    "Prefix '\(text(prefix))' overlaps with another provided prefix '\(text(other))'. Prefixes for a single client must not overlap."
                )
            }
        }
    }

    /// CLIENT CACHING YES|NO → OK: whether the next command's keys are tracked (YES in
    /// OPTIN mode, NO in OPTOUT mode).
    static func caching(_ cmd: CommandContext) throws(ReplyError) {
        guard let mode = cmd.session.tracking else {
            throw ReplyError(
                "CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode enabled")
        }
        if cmd.argument(2, is: "yes") {
            guard mode.optIn else {
                throw ReplyError("CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
            }
        } else if cmd.argument(2, is: "no") {
            guard mode.optOut else {
                throw ReplyError("CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
            }
        } else {
            throw .syntax
        }
        cmd.session.tracking?.caching = true
        cmd.reply.ok()
    }

    /// CLIENT GETREDIR → the redirection client's ID, 0 without redirection, -1 when
    /// tracking is off.
    static func getredir(_ cmd: CommandContext) throws(ReplyError) {
        cmd.reply.integer(cmd.session.tracking?.redirect ?? -1)
    }

    /// CLIENT TRACKINGINFO → map: flags (a set), redirect, prefixes.
    static func trackinginfo(_ cmd: CommandContext) throws(ReplyError) {
        let mode = cmd.session.tracking
        var flags = [mode == nil ? "off" : "on"]
        if let mode {
            if mode.broadcast { flags.append("bcast") }
            if mode.optIn {
                flags.append("optin")
                if mode.caching { flags.append("caching-yes") }
            }
            if mode.optOut {
                flags.append("optout")
                if mode.caching { flags.append("caching-no") }
            }
            if mode.noLoop { flags.append("noloop") }
            if mode.brokenRedirect { flags.append("broken_redirect") }
        }
        cmd.reply.mapHeader(3)
        cmd.reply.bulk("flags")
        cmd.reply.setHeader(flags.count)
        for flag in flags { cmd.reply.bulk(flag) }
        cmd.reply.bulk("redirect")
        cmd.reply.integer(mode?.redirect ?? -1)
        cmd.reply.bulk("prefixes")
        let prefixes = mode?.prefixes ?? []
        cmd.reply.arrayHeader(prefixes.count)
        for prefix in prefixes { prefix.withUnsafeBytes { cmd.reply.bulk($0) } }
    }
}
