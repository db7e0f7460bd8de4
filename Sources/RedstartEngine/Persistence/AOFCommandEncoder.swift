// The dataset as the commands that rebuild it: an AOF base file without the
// RDB preamble (aof-use-rdb-preamble no), as Redis's rewriteAppendOnlyFileRio
// writes it. Functions as FUNCTION LOAD, a SELECT per database, then per key
// SET / RPUSH / SADD / ZADD / HMSET (64 elements per command), streams as XADD
// of every entry, XSETID with the stream's counters, XGROUP CREATE with
// ENTRIESREAD, XCLAIM … FORCE for each pending entry and XGROUP
// CREATECONSUMER for consumers without one; an expiry as PEXPIREAT after the
// value. Replaying the file gives the same dataset (DEBUG DIGEST agrees).
import RedstartRESP

/// What a DatasetSnapshot writes its records with: RDB or commands.
protocol SnapshotEncoding {
    var out: [UInt8] { get set }
    /// Makes `database` the database of the keys that follow.
    mutating func select(_ database: Int, keys: Int, expires: Int)
    /// One key of the current database.
    mutating func key(_ key: ByteString, _ value: Value, expiry: Int64?, clock: AccessClockRecord, clockValue: Int)
    /// The end of the file.
    mutating func eof()
}

extension RDBEncoder: SnapshotEncoding {}

/// Appends the commands that rebuild keys to a byte buffer.
struct AOFCommandEncoder: SnapshotEncoding {
    var out: [UInt8] = []
    private var selected = -1
    /// Elements per command, as Redis's AOF_REWRITE_ITEMS_PER_CMD.
    static let itemsPerCommand = 64

    /// `#TS:<seconds>` first when timestamps are on, then the function libraries.
    init(timestamp: Int64?, functions: [[UInt8]]) {
        if let timestamp { out.append(contentsOf: Array("#TS:\(timestamp)\r\n".utf8)) }
        for code in functions { command(["FUNCTION", "LOAD"], code) }
    }

    mutating func select(_ database: Int, keys: Int, expires: Int) {
        guard database != selected else { return }
        selected = database
        AOFEncoding.appendSelect(database, to: &out)
    }

    mutating func key(_ key: ByteString, _ value: Value, expiry: Int64?, clock: AccessClockRecord, clockValue: Int) {
        key.withUnsafeBytes { name in
            switch value {
            case .string, .longString, .integer:
                header(3)
                bulk("SET")
                bulk(name)
                _ = value.withStringBytes { bulk($0) }
            case .list(let list):
                batches(total: list.count, command: "RPUSH", key: name, perItem: 1) { emit in
                    if list.count > 0 { list.forEach(in: 0...(list.count - 1)) { emit([$0]) } }
                }
            case .set(let set):
                batches(total: set.count, command: "SADD", key: name, perItem: 1) { emit in
                    set.forEach { emit([$0]) }
                }
            case .sortedSet(let zset):
                batches(total: zset.count, command: "ZADD", key: name, perItem: 2) { emit in
                    guard zset.count > 0 else { return }
                    zset.forEach(in: 0...(zset.count - 1), reverse: false) { member, score in
                        var text = formatWithC("%.17g", score)
                        text.withUTF8 { scoreBytes in
                            member.withUnsafeBytes { emit([UnsafeRawBufferPointer(scoreBytes), $0]) }
                        }
                    }
                }
            case .hash(let hash):
                batches(total: hash.count, command: "HMSET", key: name, perItem: 2) { emit in
                    hash.forEachPair { field, value in emit([field, value]) }
                }
            case .stream(let stream):
                streamCommands(name, stream)
            }
            if let expiry {
                header(3)
                bulk("PEXPIREAT")
                bulk(name)
                bulk(String(expiry))
            }
        }
    }

    mutating func eof() {}

    // MARK: - Streams

    private mutating func streamCommands(_ key: UnsafeRawBufferPointer, _ stream: StreamValue) {
        if stream.length > 0 {
            stream.forEach(from: .zero, to: .max) { entry in
                header(3 + entry.fieldCount * 2)
                bulk("XADD")
                bulk(key)
                bulk(entry.id.description)
                entry.forEachPair { field, value in
                    bulk(field)
                    bulk(value)
                }
                return true
            }
        } else {
            // An empty stream still exists: add an entry and trim it away.
            header(7)
            bulk("XADD")
            bulk(key)
            for word in ["MAXLEN", "0", "0-1", "x", "y"] { bulk(word) }
        }
        header(7)
        bulk("XSETID")
        bulk(key)
        bulk(stream.lastID.description)
        bulk("ENTRIESADDED")
        bulk(String(stream.entriesAdded))
        bulk("MAXDELETEDID")
        bulk(stream.maxDeletedID.description)
        for group in stream.groupsInOrder {
            group.name.withUnsafeBytes { groupName in
                header(7)
                bulk("XGROUP")
                bulk("CREATE")
                bulk(key)
                bulk(groupName)
                bulk(group.lastID.description)
                bulk("ENTRIESREAD")
                bulk(String(group.entriesRead))
                for consumer in group.consumersInOrder {
                    consumer.name.withUnsafeBytes { consumerName in
                        if consumer.pending.count == 0 {
                            header(5)
                            bulk("XGROUP")
                            bulk("CREATECONSUMER")
                            bulk(key)
                            bulk(groupName)
                            bulk(consumerName)
                            return
                        }
                        consumer.pending.forEach { id, _ in
                            guard let entry = group.pending[id] else { return true }
                            header(12)
                            bulk("XCLAIM")
                            bulk(key)
                            bulk(groupName)
                            bulk(consumerName)
                            bulk("0")
                            bulk(id.description)
                            bulk("TIME")
                            bulk(String(entry.deliveryTime))
                            bulk("RETRYCOUNT")
                            bulk(String(entry.deliveryCount))
                            bulk("JUSTID")
                            bulk("FORCE")
                            return true
                        }
                    }
                }
            }
        }
    }

    // MARK: - RESP

    /// Writes the elements `produce` emits as commands of up to 64 items each:
    /// `command key item…`, each item `perItem` arguments.
    private mutating func batches(
        total: Int, command: String, key: UnsafeRawBufferPointer, perItem: Int,
        _ produce: (_ emit: ([UnsafeRawBufferPointer]) -> Void) -> Void
    ) {
        var remaining = total
        var inCommand = 0
        var out = self.out
        self.out = []
        produce { item in
            if inCommand == 0 {
                let items = min(remaining, Self.itemsPerCommand)
                AOFEncoding.appendHeader(2 + items * perItem, to: &out)
                AOFEncoding.appendBulk(Array(command.utf8), to: &out)
                AOFEncoding.appendBulk(key, to: &out)
            }
            for argument in item { AOFEncoding.appendBulk(argument, to: &out) }
            inCommand += 1
            remaining -= 1
            if inCommand == Self.itemsPerCommand { inCommand = 0 }
        }
        self.out = out
    }

    private mutating func command(_ words: [String], _ last: [UInt8]) {
        AOFEncoding.appendCommand(words.map { Array($0.utf8) } + [last], to: &out)
    }

    private mutating func header(_ count: Int) { AOFEncoding.appendHeader(count, to: &out) }
    private mutating func bulk(_ text: String) { AOFEncoding.appendBulk(Array(text.utf8), to: &out) }
    private mutating func bulk(_ bytes: UnsafeRawBufferPointer) { AOFEncoding.appendBulk(bytes, to: &out) }
}

/// RESP as the AOF holds it: arrays of bulk strings.
public enum AOFEncoding {
    /// SELECT <database>, as the AOF and the replication stream write it where the database changes.
    public static func appendSelect(_ database: Int, to out: inout [UInt8]) {
        appendCommand([Array("SELECT".utf8), Array(String(database).utf8)], to: &out)
    }

    public static func appendHeader(_ count: Int, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "*"))
        appendDecimal(count, to: &out)
    }

    public static func appendBulk(_ bytes: UnsafeRawBufferPointer, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "$"))
        appendDecimal(bytes.count, to: &out)
        out.append(contentsOf: bytes)
        out.append(0x0D)
        out.append(0x0A)
    }

    public static func appendBulk(_ bytes: [UInt8], to out: inout [UInt8]) {
        bytes.withUnsafeBytes { appendBulk($0, to: &out) }
    }

    /// One command: `*<n>` and each argument as a bulk string.
    public static func appendCommand(_ arguments: [[UInt8]], to out: inout [UInt8]) {
        appendHeader(arguments.count, to: &out)
        for argument in arguments { appendBulk(argument, to: &out) }
    }

    /// `<n>\r\n` (n is a count, never negative).
    static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
        if value < 10 {
            out.append(UInt8(truncatingIfNeeded: 0x30 + value))
        } else {
            var digits = 1
            var rest = value / 10
            while rest > 0 {
                digits += 1
                rest /= 10
            }
            let start = out.count
            out.append(contentsOf: repeatElement(0, count: digits))
            var remaining = value
            var index = start + digits - 1
            while index >= start {
                out[index] = UInt8(truncatingIfNeeded: 0x30 + remaining % 10)
                remaining /= 10
                index -= 1
            }
        }
        out.append(0x0D)
        out.append(0x0A)
    }
}
