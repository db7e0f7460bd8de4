// Keyspace notifications (notify-keyspace-events): commands report what they
// did to a key as an event of one class (`g` generic, `$` string, `l` list,
// ...), and when that class is enabled together with K and/or E the event is
// published on `__keyspace@<db>__:<key>` (message: the event name) and/or
// `__keyevent@<db>__:<event>` (message: the key), like any PUBLISH. With
// notifications off (the default) an event costs one bit test.
//
// Event names and the order of events within a command follow Redis 7.0:
// `new` when a key is created, then the command's own event, then `del`
// when the command emptied the key.

/// Classes of keyspace events, and the two channel families (K, E).
struct KeyspaceEvents: OptionSet {
    let rawValue: UInt16

    static let keyspace = KeyspaceEvents(rawValue: 1 << 0)  // K
    static let keyevent = KeyspaceEvents(rawValue: 1 << 1)  // E
    static let generic = KeyspaceEvents(rawValue: 1 << 2)  // g
    static let string = KeyspaceEvents(rawValue: 1 << 3)  // $
    static let list = KeyspaceEvents(rawValue: 1 << 4)  // l
    static let set = KeyspaceEvents(rawValue: 1 << 5)  // s
    static let hash = KeyspaceEvents(rawValue: 1 << 6)  // h
    static let zset = KeyspaceEvents(rawValue: 1 << 7)  // z
    static let expired = KeyspaceEvents(rawValue: 1 << 8)  // x
    static let evicted = KeyspaceEvents(rawValue: 1 << 9)  // e
    static let stream = KeyspaceEvents(rawValue: 1 << 10)  // t
    static let keyMiss = KeyspaceEvents(rawValue: 1 << 11)  // m
    static let module = KeyspaceEvents(rawValue: 1 << 12)  // d
    static let newKey = KeyspaceEvents(rawValue: 1 << 13)  // n

    /// What "A" stands for (neither `m` nor `n`).
    static let all: KeyspaceEvents = [.generic, .string, .list, .set, .hash, .zset, .expired, .evicted, .stream, .module]

    /// The classes of a notify-keyspace-events value (the config codec has checked it).
    init(configText: String) {
        var classes: KeyspaceEvents = []
        for character in configText {
            switch character {
            case "A": classes.formUnion(.all)
            case "K": classes.insert(.keyspace)
            case "E": classes.insert(.keyevent)
            case "g": classes.insert(.generic)
            case "$": classes.insert(.string)
            case "l": classes.insert(.list)
            case "s": classes.insert(.set)
            case "h": classes.insert(.hash)
            case "z": classes.insert(.zset)
            case "x": classes.insert(.expired)
            case "e": classes.insert(.evicted)
            case "t": classes.insert(.stream)
            case "m": classes.insert(.keyMiss)
            case "d": classes.insert(.module)
            case "n": classes.insert(.newKey)
            default: break
            }
        }
        self = classes
    }

    // Declared because the init above suppresses the synthesized one.
    init(rawValue: UInt16) { self.rawValue = rawValue }
}

extension Engine {
    /// Reports that `event` (of class `type`) happened to `key` in database `db`.
    @inline(__always)
    func notify(_ type: KeyspaceEvents, _ event: StaticString, _ key: UnsafeRawBufferPointer, db: Int) {
        guard keyspaceEvents.contains(type) else { return }
        publishKeyspaceEvent(event, key, db: db)
    }

    /// `notify` for a key held as a ByteString.
    func notify(_ type: KeyspaceEvents, _ event: StaticString, _ key: ByteString, db: Int) {
        guard keyspaceEvents.contains(type) else { return }
        key.withUnsafeBytes { publishKeyspaceEvent(event, $0, db: db) }
    }

    private func publishKeyspaceEvent(_ event: StaticString, _ key: UnsafeRawBufferPointer, db: Int) {
        let eventBytes = UnsafeRawBufferPointer(start: event.utf8Start, count: event.utf8CodeUnitCount)
        let database = Array(String(db).utf8)
        if keyspaceEvents.contains(.keyspace) {
            var channel = Array("__keyspace@".utf8) + database + Array("__:".utf8)
            channel.append(contentsOf: key)
            _ = channel.withUnsafeBytes { publish($0, eventBytes, shard: false) }
        }
        if keyspaceEvents.contains(.keyevent) {
            var channel = Array("__keyevent@".utf8) + database + Array("__:".utf8)
            channel.append(contentsOf: eventBytes)
            _ = channel.withUnsafeBytes { publish($0, key, shard: false) }
        }
    }
}
