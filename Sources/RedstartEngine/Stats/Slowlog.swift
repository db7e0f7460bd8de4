// SLOWLOG: commands that ran longer than slowlog-log-slower-than, newest first,
// at most slowlog-max-len entries. Arguments are trimmed as Redis trims them:
// at most 32 (the last one says how many more) and 128 bytes each.

/// One slow command.
public struct SlowlogEntry {
    public let id: Int64
    public let timestamp: Int64
    public let durationMicroseconds: Int64
    public let arguments: [[UInt8]]
    public let clientAddress: String
    public let clientName: String
}

/// The slow log.
public struct Slowlog {
    public private(set) var entries: [SlowlogEntry] = []  // newest first
    private var nextID: Int64 = 0

    static let maxArguments = 32
    static let maxArgumentLength = 128

    /// Records a command; keeps at most `maxLength` entries.
    public mutating func add(
        arguments: [[UInt8]], totalArguments: Int, duration: Int64, timestamp: Int64, clientAddress: String,
        clientName: String, maxLength: Int
    ) {
        var kept: [[UInt8]] = []
        let shown = min(totalArguments, Self.maxArguments)
        for index in 0..<shown {
            if index == Self.maxArguments - 1 && totalArguments > Self.maxArguments {
                kept.append(Array("... (\(totalArguments - Self.maxArguments + 1) more arguments)".utf8))
                break
            }
            let argument = arguments[index]
            if argument.count > Self.maxArgumentLength {
                kept.append(
                    Array(argument[0..<Self.maxArgumentLength])
                        + Array("... (\(argument.count - Self.maxArgumentLength) more bytes)".utf8))
            } else {
                kept.append(argument)
            }
        }
        entries.insert(
            SlowlogEntry(
                id: nextID, timestamp: timestamp, durationMicroseconds: duration, arguments: kept,
                clientAddress: clientAddress, clientName: clientName), at: 0)
        nextID += 1
        trim(to: maxLength)
    }

    /// Drops the oldest entries beyond `maxLength`.
    public mutating func trim(to maxLength: Int) {
        if entries.count > maxLength { entries.removeLast(entries.count - maxLength) }
    }

    /// SLOWLOG RESET.
    public mutating func reset() { entries.removeAll() }
}
