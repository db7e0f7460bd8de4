// ACL LOG: the latest denied commands, keys, channels and failed AUTHs, newest
// first, at most acllog-max-len. A denial like one of the ten newest (same
// reason, context, object and user, within 60 seconds) counts on that entry and
// moves it to the front instead of adding another, as Redis groups them.

/// Why the ACL refused something.
enum ACLDenialReason: String {
    case command, key, channel, auth
}

/// Where the refused command came from.
enum ACLLogContext: String {
    case toplevel, multi, lua
}

/// One ACL LOG entry.
struct ACLLogEntry {
    var count: Int
    let reason: ACLDenialReason
    let context: ACLLogContext
    /// The command's full name, the key, the channel, or for AUTH the command name as sent.
    let object: [UInt8]
    let username: [UInt8]
    /// Unix milliseconds of the latest occurrence.
    var time: Int64
    /// CLIENT LIST's line for the client of the latest occurrence.
    var clientInfo: String
}

/// The ACL log.
struct ACLLog {
    private(set) var entries: [ACLLogEntry] = []
    private static let groupingWindow: Int64 = 60_000

    mutating func add(_ entry: ACLLogEntry, maxLength: Int) {
        for position in entries.indices.prefix(10) {
            let existing = entries[position]
            guard existing.reason == entry.reason, existing.context == entry.context,
                abs(existing.time - entry.time) <= Self.groupingWindow, existing.object == entry.object,
                existing.username == entry.username
            else { continue }
            var updated = entries.remove(at: position)
            updated.count += 1
            updated.time = entry.time
            updated.clientInfo = entry.clientInfo
            entries.insert(updated, at: 0)
            return
        }
        entries.insert(entry, at: 0)
        if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
    }

    mutating func reset() {
        entries = []
    }
}
