// One value in Redis's RDB format: a type byte and the serialized value, as
// DUMP/RESTORE and RDB files carry them. Reading accepts every
// encoding Redis 7.0 and its predecessors write for strings, lists, sets,
// sorted sets and hashes (plain, ziplist, listpack, intset, quicklist); writing
// uses Redis 7.0's forms for lists (quicklist nodes of listpacks), small hashes
// and sorted sets (listpacks) and integer sets (intsets), and the plain forms
// otherwise (which every Redis since 2.x loads
// and re-encodes compactly itself). Bad input (short, malformed,
// empty, duplicate members) is refused with nil, never trusted.
import RedstartRESP

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// RDB object types (rdb.h).
public enum RDBType: UInt8 {
    case string = 0, list = 1, set = 2, zset = 3, hash = 4, zset2 = 5
    case hashZipmap = 9
    case listZiplist = 10, setIntset = 11, zsetZiplist = 12, hashZiplist = 13, listQuicklist = 14
    case hashListpack = 16, zsetListpack = 17, listQuicklist2 = 18
    case streamListpacks = 15, streamListpacks2 = 19
}

/// The limits that decide the encodings of loaded collections.
struct CollectionLimits {
    var listShape: ListShape
    var hash: (entries: Int, length: Int)
    var setIntegers: Int
    var zset: (entries: Int, length: Int)
    /// sanitize-dump-payload yes: a packed value's repeated members are reported as a failed
    /// integrity check (as Redis's deep check finds them) rather than as duplicates.
    var deepSanitization = false
}

public enum RDBValueCodec {
    /// The RDB version DUMP writes and the newest RESTORE accepts (Redis 7.0's).
    public static let version: UInt16 = 10

    // MARK: - Writing

    /// Appends `value` as a type byte and its serialization; with `key`, the key between
    /// them (an RDB file's key record).
    static func write(_ value: Value, compressing: Bool, into out: inout [UInt8], key: ByteString? = nil) {
        out.append(typeByte(of: value))
        if let key { key.withUnsafeBytes { writeString($0, compressing: compressing, into: &out) } }
        switch value {
        case .string, .longString, .integer:
            value.withStringBytes { writeString($0, compressing: compressing, into: &out) }
        case .list(let list):
            // Redis 7.0's quicklist: packed nodes of up to 8 KB of listpack each.
            var nodes: [Listpack] = []
            var node = Listpack()
            if list.count > 0 {
                list.forEach(in: 0...(list.count - 1)) { element in
                    if node.byteCount > 7 && node.byteCount + element.count > quicklistNodeBytes {
                        nodes.append(node)
                        node = Listpack()
                    }
                    node.append(element)
                }
            }
            nodes.append(node)
            defer { nodes.forEach { $0.deallocate() } }  // unmanaged (see Listpack)
            writeLength(nodes.count, into: &out)
            for node in nodes {
                writeLength(2, into: &out)  // a packed node (1 would be one plain element)
                node.withUnsafeBytes { writeString($0, compressing: compressing, into: &out) }
            }
        case .set(let set):
            if let numbers = set.integerMembers {
                writeIntset(numbers, into: &out)
            } else {
                writeLength(set.count, into: &out)
                set.forEach { writeString($0, compressing: compressing, into: &out) }
            }
        case .sortedSet(let zset) where zset.encodingName == "listpack":
            // Member, score pairs in score order in one listpack, as Redis writes a small zset.
            var packed = Listpack()
            defer { packed.deallocate() }
            zset.forEachRaw { member, score in
                packed.append(member)
                if score == score.rounded(), abs(score) < 9_007_199_254_740_992 {
                    packed.append(integer: Int64(score))
                } else {
                    var digits = DoubleDigits(score)  // %.17g, on the stack
                    digits.withBytes { packed.append($0) }
                }
            }
            packed.withUnsafeBytes { writeString($0, compressing: compressing, into: &out) }
        case .sortedSet(let zset):
            writeLength(zset.count, into: &out)
            zset.forEachRaw { member, score in
                writeString(member, compressing: compressing, into: &out)
                withUnsafeBytes(of: score.bitPattern.littleEndian) { out.append(contentsOf: $0) }
            }
        case .hash(let hash) where hash.encodingName == "listpack":
            // Fields and values in insertion order in one listpack, as Redis writes a small hash.
            var packed = Listpack()
            defer { packed.deallocate() }
            hash.forEachPair { field, value in
                packed.append(field)
                packed.append(value)
            }
            packed.withUnsafeBytes { writeString($0, compressing: compressing, into: &out) }
        case .hash(let hash):
            writeLength(hash.count, into: &out)
            hash.forEachPair { field, value in
                writeString(field, compressing: compressing, into: &out)
                writeString(value, compressing: compressing, into: &out)
            }
        case .stream(let stream):
            writeStream(stream, compressing: compressing, into: &out)
        }
    }

    /// The size of the listpack nodes lists are written in (list-max-listpack-size -2).
    private static let quicklistNodeBytes = 8192

    /// The RDB type `write` uses for `value`.
    private static func typeByte(of value: Value) -> UInt8 {
        switch value {
        case .string, .longString, .integer: return RDBType.string.rawValue
        case .list: return RDBType.listQuicklist2.rawValue
        case .set(let set): return set.encodingName == "intset" ? RDBType.setIntset.rawValue : RDBType.set.rawValue
        case .sortedSet(let zset): return zset.encodingName == "listpack" ? RDBType.zsetListpack.rawValue : RDBType.zset2.rawValue
        case .hash(let hash): return hash.encodingName == "listpack" ? RDBType.hashListpack.rawValue : RDBType.hash.rawValue
        case .stream: return RDBType.streamListpacks2.rawValue
        }
    }

    /// A length: 6 bits, 14 bits, or 0x80 + 32 bits / 0x81 + 64 bits big-endian.
    static func writeLength(_ length: Int, into out: inout [UInt8]) {
        if length < 1 << 6 {
            out.append(UInt8(length))
        } else if length < 1 << 14 {
            out.append(0x40 | UInt8(length >> 8))
            out.append(UInt8(truncatingIfNeeded: length))
        } else if length <= Int(UInt32.max) {
            out.append(0x80)
            withUnsafeBytes(of: UInt32(length).bigEndian) { out.append(contentsOf: $0) }
        } else {
            out.append(0x81)
            withUnsafeBytes(of: UInt64(length).bigEndian) { out.append(contentsOf: $0) }
        }
    }

    /// A string: a small canonical integer as an 8/16/32-bit integer encoding (as Redis
    /// writes it); with `compressing` (rdbcompression) a string over 20 bytes that LZF
    /// shrinks by at least 4 bytes compressed; anything else as length + bytes.
    public static func writeString(_ bytes: UnsafeRawBufferPointer, compressing: Bool = false, into out: inout [UInt8]) {
        if bytes.count <= 11, let number = parseRedisInteger(bytes), number >= Int64(Int32.min),
            number <= Int64(Int32.max), Array(String(number).utf8).elementsEqual(bytes)
        {
            if number >= Int64(Int8.min) && number <= Int64(Int8.max) {
                out.append(0xC0)
                out.append(UInt8(bitPattern: Int8(number)))
            } else if number >= Int64(Int16.min) && number <= Int64(Int16.max) {
                out.append(0xC1)
                withUnsafeBytes(of: Int16(number).littleEndian) { out.append(contentsOf: $0) }
            } else {
                out.append(0xC2)
                withUnsafeBytes(of: Int32(number).littleEndian) { out.append(contentsOf: $0) }
            }
            return
        }
        if compressing && bytes.count > 20, let packed = LZF.compress(bytes), packed.count <= bytes.count - 4 {
            out.append(0xC3)
            writeLength(packed.count, into: &out)
            writeLength(bytes.count, into: &out)
            out.append(contentsOf: packed)
            return
        }
        writeLength(bytes.count, into: &out)
        out.append(contentsOf: bytes)
    }

    /// Writes an intset of `numbers`, which are ascending.
    private static func writeIntset(_ numbers: [Int64], into out: inout [UInt8]) {
        let width = numbers.contains { $0 < Int64(Int32.min) || $0 > Int64(Int32.max) }
            ? 8 : numbers.contains { $0 < Int64(Int16.min) || $0 > Int64(Int16.max) } ? 4 : 2
        var blob: [UInt8] = []
        withUnsafeBytes(of: UInt32(width).littleEndian) { blob.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt32(numbers.count).littleEndian) { blob.append(contentsOf: $0) }
        blob.reserveCapacity(8 + numbers.count * width)
        for number in numbers {
            withUnsafeBytes(of: number.littleEndian) { blob.append(contentsOf: $0.prefix(width)) }
        }
        blob.withUnsafeBytes { writeString($0, into: &out) }
    }

    // MARK: - Reading

    /// Reads one value (type byte and serialization) from `reader`; nil when malformed,
    /// empty, or of a type Redstart does not hold (modules, streams).
    static func read(_ reader: inout RDBReader, limits: CollectionLimits) -> Value? {
        guard let typeByte = reader.byte(), let type = RDBType(rawValue: typeByte) else { return nil }
        return read(type, &reader, limits: limits)
    }

    /// Reads the serialization of a value of type `type` (an RDB file's key record has the
    /// key between the type and the value).
    static func read(_ type: RDBType, _ reader: inout RDBReader, limits: CollectionLimits) -> Value? {
        let value = readValue(type, &reader, limits: limits)
        if value == nil {
            let packed: Set<RDBType> = [.hashListpack, .hashZiplist, .zsetListpack, .zsetZiplist]
            // Ziplists are always converted on load, and the conversion checks them deeply.
            let alwaysDeep: Set<RDBType> = [.hashZiplist, .zsetZiplist]
            if reader.failure == duplicates
                && (alwaysDeep.contains(type) || limits.deepSanitization && packed.contains(type))
            {
                reader.failure = failureReason(type)
            } else if reader.failure == duplicates {
                let names: [RDBType: String] = [
                    .hash: "Hash", .hashListpack: "Hash listpack", .hashZiplist: "Hash ziplist", .hashZipmap: "Hash zipmap",
                    .zset: "Zset", .zset2: "Zset",
                ]
                reader.failure = names[type].map { "\($0) with dup elements" } ?? failureReason(type)
            } else if reader.failure == nil {
                reader.failure = reader.isEmptyValue ? "empty" : failureReason(type)
            }
        }
        return value
    }

    /// The failure of a value whose members repeat (named after its type by `read`).
    private static let duplicates = "with dup elements"

    /// What Redis logs when a value of `type` does not parse.
    private static func failureReason(_ type: RDBType) -> String {
        switch type {
        case .setIntset: return "Intset integrity check failed."
        case .hashZipmap: return "Zipmap integrity check failed."
        case .listZiplist: return "List ziplist integrity check failed."
        case .zsetZiplist: return "Zset ziplist integrity check failed."
        case .zsetListpack: return "Zset listpack integrity check failed."
        case .hashZiplist: return "Hash ziplist integrity check failed."
        case .hashListpack: return "Hash listpack integrity check failed."
        case .listQuicklist: return "Ziplist integrity check failed."
        case .listQuicklist2: return "Listpack integrity check failed."
        case .streamListpacks, .streamListpacks2: return "Stream listpack integrity check failed."
        case .string, .list, .set, .zset, .zset2, .hash: return "Bad data format"
        }
    }

    private static func readValue(_ type: RDBType, _ reader: inout RDBReader, limits: CollectionLimits) -> Value? {
        switch type {
        case .string:
            return reader.stringReference()?.withBytes { Value.storedString(from: $0) }
        case .list:
            guard let count = reader.nonEmptyCount() else { return nil }
            let list = ChunkedList(shape: limits.listShape)
            for _ in 0..<count {
                guard let element = reader.stringReference() else { return nil }
                element.withBytes { list.pushBack($0) }
            }
            return .list(list)
        case .listZiplist:
            guard let blob = reader.string(), let elements = blob.withUnsafeBytes(CompactEncodings.ziplistEntries) else { return nil }
            return makeList(&reader, elements, limits)
        case .listQuicklist, .listQuicklist2:
            guard let nodes = reader.count(), nodes > 0 else {
                reader.isEmptyValue = true
                return nil
            }
            let list = ChunkedList(shape: limits.listShape)
            for _ in 0..<nodes {
                var container = 2
                if type == .listQuicklist2 {
                    guard let kind = reader.count(), kind == 1 || kind == 2 else { return nil }
                    container = kind
                }
                guard let blob = reader.stringReference(), blob.withBytes({ !$0.isEmpty }) else { return nil }
                let added = blob.withBytes { raw -> Bool in
                    if container == 1 {
                        list.pushBack(raw)
                        return true
                    }
                    // An empty node is skipped, as Redis does.
                    if type == .listQuicklist {
                        guard let entries = CompactEncodings.ziplistEntries(raw) else { return false }
                        for entry in entries { entry.withUnsafeBytes { list.pushBack($0) } }
                        return true
                    }
                    guard let offsets = Listpack.validatedElements(raw) else { return false }
                    for offset in offsets { Listpack.withBytes(raw, at: offset) { list.pushBack($0) } }
                    return true
                }
                guard added else { return nil }
            }
            guard list.count > 0 else {
                reader.isEmptyValue = true
                return nil
            }
            return .list(list)
        case .set:
            guard let count = reader.nonEmptyCount() else { return nil }
            return build(Value.set) { set in
                for _ in 0..<count {
                    guard let member = reader.stringReference(),
                        member.withBytes({ set.add($0, maxIntegers: limits.setIntegers) })
                    else { return false }
                }
                return true
            }
        case .setIntset:
            guard let blob = reader.string(), let members = blob.withUnsafeBytes(CompactEncodings.intsetMembers) else { return nil }
            return makeSet(&reader, members, limits)
        case .zset, .zset2:
            guard let count = reader.count(), count > 0 else {
                reader.isEmptyValue = true
                return nil
            }
            return build(Value.sortedSet) { zset in
                for _ in 0..<count {
                    guard let member = reader.stringReference() else { return false }
                    guard let score = type == .zset2 ? reader.binaryDouble() : reader.textDouble(), !score.isNaN else { return false }
                    guard add(member.withBytes { ByteString($0) }, score, to: &zset, &reader, limits) else { return false }
                }
                return true
            }
        case .zsetListpack:
            return withListpackPairs(&reader) { raw, offsets, reader in
                build(Value.sortedSet) { zset in
                    for index in stride(from: 0, to: offsets.count, by: 2) {
                        let score: Double?
                        if let number = Listpack.integer(raw, at: offsets[index + 1]) {
                            score = Double(number)
                        } else {
                            score = Listpack.withBytes(raw, at: offsets[index + 1]) { parseDouble(Array($0)) }
                        }
                        guard let score else { return false }
                        let member = Listpack.withBytes(raw, at: offsets[index]) { ByteString($0) }
                        guard add(member, score, to: &zset, &reader, limits) else { return false }
                    }
                    return true
                }
            }
        case .zsetZiplist:
            guard let entries = ziplistEntries(&reader), entries.count % 2 == 0 else { return nil }
            var pairs: [([UInt8], Double)] = []
            for index in stride(from: 0, to: entries.count, by: 2) {
                guard let score = parseDouble(entries[index + 1]) else { return nil }
                pairs.append((entries[index], score))
            }
            return makeSortedSet(&reader, pairs, limits)
        case .hash:
            guard let count = reader.count(), count > 0 else {
                reader.isEmptyValue = true
                return nil
            }
            return build(Value.hash) { hash in
                for _ in 0..<count {
                    guard let field = reader.stringReference(), let value = reader.stringReference() else { return false }
                    let added = field.withBytes { add($0, value.withBytes { ByteString($0) }, to: &hash, &reader, limits) }
                    guard added else { return false }
                }
                return true
            }
        case .hashZipmap:
            guard let blob = reader.string(), let entries = blob.withUnsafeBytes(CompactEncodings.zipmapEntries) else { return nil }
            return makeHash(&reader, stride(from: 0, to: entries.count, by: 2).map { (entries[$0], entries[$0 + 1]) }, limits)
        case .hashListpack:
            return withListpackPairs(&reader) { raw, offsets, reader in
                build(Value.hash) { hash in
                    for index in stride(from: 0, to: offsets.count, by: 2) {
                        let value = Listpack.withBytes(raw, at: offsets[index + 1]) { ByteString($0) }
                        guard Listpack.withBytes(raw, at: offsets[index], { add($0, value, to: &hash, &reader, limits) }) else {
                            return false
                        }
                    }
                    return true
                }
            }
        case .hashZiplist:
            guard let entries = ziplistEntries(&reader), entries.count % 2 == 0 else { return nil }
            return makeHash(&reader, stride(from: 0, to: entries.count, by: 2).map { (entries[$0], entries[$0 + 1]) }, limits)
        case .streamListpacks, .streamListpacks2:
            return readStream(&reader, version2: type == .streamListpacks2).map { .stream($0) }
        }
    }

    /// The entries of a ziplist stored as one string.
    private static func ziplistEntries(_ reader: inout RDBReader) -> [[UInt8]]? {
        guard let blob = reader.string() else { return nil }
        return blob.withUnsafeBytes(CompactEncodings.ziplistEntries)
    }

    private static func makeList(_ reader: inout RDBReader, _ elements: [[UInt8]], _ limits: CollectionLimits) -> Value? {
        guard !elements.isEmpty else {
            reader.isEmptyValue = true
            return nil
        }
        let list = ChunkedList(shape: limits.listShape)
        for element in elements { element.withUnsafeBytes { list.pushBack($0) } }
        return .list(list)
    }

    private static func makeSet(_ reader: inout RDBReader, _ members: [[UInt8]], _ limits: CollectionLimits) -> Value? {
        guard !members.isEmpty else {
            reader.isEmptyValue = true
            return nil
        }
        return build(Value.set) { set in
            members.allSatisfy { member in member.withUnsafeBytes { set.add($0, maxIntegers: limits.setIntegers) } }
        }
    }

    private static func makeSortedSet(_ reader: inout RDBReader, _ pairs: [([UInt8], Double)], _ limits: CollectionLimits) -> Value? {
        guard !pairs.isEmpty else {
            reader.isEmptyValue = true
            return nil
        }
        return build(Value.sortedSet) { zset in
            pairs.allSatisfy { add(ByteString($0.0), $0.1, to: &zset, &reader, limits) }
        }
    }

    /// The collection `fill` builds, as a value, or nil when it fails (what it added is
    /// freed: the block belongs to no key yet).
    private static func build<C: OwnedCollection>(_ wrap: (C) -> Value, _ fill: (inout C) -> Bool) -> Value? {
        var collection = C()
        guard fill(&collection) else {
            collection.release()
            return nil
        }
        return wrap(collection)
    }

    private static func makeHash(_ reader: inout RDBReader, _ pairs: [([UInt8], [UInt8])], _ limits: CollectionLimits) -> Value? {
        guard !pairs.isEmpty else {
            reader.isEmptyValue = true
            return nil
        }
        return build(Value.hash) { hash in
            pairs.allSatisfy { pair in pair.0.withUnsafeBytes { add($0, ByteString(pair.1), to: &hash, &reader, limits) } }
        }
    }

    /// Adds a member unless it is there already; a repeated member refuses the value.
    private static func add(
        _ member: ByteString, _ score: Double, to zset: inout SortedSetValue, _ reader: inout RDBReader, _ limits: CollectionLimits
    ) -> Bool {
        guard zset.score(of: member) == nil else {
            reader.failure = duplicates
            return false
        }
        _ = zset.set(member, score: score, limits: limits.zset)
        return true
    }

    /// Adds a field unless it is there already; a repeated field refuses the value.
    private static func add(
        _ field: UnsafeRawBufferPointer, _ value: ByteString, to hash: inout HashValue, _ reader: inout RDBReader,
        _ limits: CollectionLimits
    ) -> Bool {
        guard hash.set(field, value, limits: limits.hash) else {
            reader.failure = duplicates
            return false
        }
        return true
    }

    /// Reads a listpack stored as one string and hands `body` its bytes and the offsets of
    /// its elements, which must come in pairs; an empty one is noted as an empty value.
    private static func withListpackPairs(
        _ reader: inout RDBReader, _ body: (UnsafeRawBufferPointer, [Int], inout RDBReader) -> Value?
    ) -> Value? {
        guard let blob = reader.stringReference() else { return nil }
        return blob.withBytes { raw -> Value? in
            guard let offsets = Listpack.validatedElements(raw), offsets.count % 2 == 0 else { return nil }
            guard !offsets.isEmpty else {
                reader.isEmptyValue = true
                return nil
            }
            return body(raw, offsets, &reader)
        }
    }

    /// A score written as text (listpack/ziplist entries, the old ZSET type).
    static func parseDouble(_ text: [UInt8]) -> Double? {
        guard !text.isEmpty, text.count < 256 else { return nil }
        var chars = text.map { CChar(bitPattern: $0) }
        chars.append(0)
        return chars.withUnsafeBufferPointer { buffer -> Double? in
            var end: UnsafeMutablePointer<CChar>?
            let value = strtod(buffer.baseAddress!, &end)
            guard let end, end == UnsafeMutablePointer(mutating: buffer.baseAddress! + text.count), !value.isNaN else { return nil }
            return value
        }
    }
}

/// A string read from RDB bytes: borrowed from the buffer, or decoded into its own bytes.
struct RDBString {
    private let raw: UnsafeRawBufferPointer?
    private let owned: [UInt8]?

    init(raw: UnsafeRawBufferPointer) {
        self.raw = raw
        owned = nil
    }

    init(owned: [UInt8]) {
        raw = nil
        self.owned = owned
    }

    func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        if let raw { return try body(raw) }
        return try owned!.withUnsafeBytes(body)
    }
}

/// A cursor over serialized RDB bytes; every read is bounds-checked (nil past the end).
public struct RDBReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    /// Why the last value did not parse (Redis's words, for the log), and whether it was
    /// because it held nothing (RDB files skip such keys).
    public var failure: String?
    public var isEmptyValue = false

    /// How many bytes were read.
    public var offset: Int { position }

    /// Bytes not read yet.
    public var remaining: Int { bytes.count - position }

    public mutating func byte() -> UInt8? {
        guard position < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[position]
    }

    mutating func take(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= bytes.count - position else { return nil }
        defer { position += count }
        return UnsafeRawBufferPointer(rebasing: bytes[position..<(position + count)])
    }

    /// A length, or (with `encoded`) the number of a special string encoding.
    mutating func length() -> (value: UInt64, encoded: Bool)? {
        guard let first = byte() else { return nil }
        switch first >> 6 {
        case 0: return (UInt64(first & 0x3F), false)
        case 1:
            guard let next = byte() else { return nil }
            return ((UInt64(first & 0x3F) << 8) | UInt64(next), false)
        case 2:
            let size: Int
            switch first {
            case 0x80: size = 4
            case 0x81: size = 8
            default: return nil
            }
            guard let raw = take(size) else { return nil }
            return (raw.reduce(0) { ($0 << 8) | UInt64($1) }, false)
        default:
            return (UInt64(first & 0x3F), true)
        }
    }

    /// A plain length that fits an Int (an element count).
    public mutating func count() -> Int? {
        guard let (value, encoded) = length(), !encoded, value <= UInt64(Int32.max) else { return nil }
        return Int(value)
    }

    /// A string in any of its encodings (integer, LZF-compressed, raw).
    public mutating func string() -> [UInt8]? {
        guard let (value, encoded) = length() else { return nil }
        guard encoded else {
            guard value <= UInt64(Int.max), let raw = take(Int(value)) else { return nil }
            return Array(raw)
        }
        switch value {
        case 0, 1, 2:
            let size = 1 << Int(value)
            guard let raw = take(size) else { return nil }
            let number = Int64(bitPattern: CompactEncodings.readLittleEndian(raw, at: 0, size: size) << UInt64(64 - size * 8))
                >> Int64(64 - size * 8)
            return CompactEncodings.decimal(number)
        case 3:
            guard let compressed = count(), let length = count(), let raw = take(compressed) else { return nil }
            return LZF.decompress(raw, length: length)
        default:
            return nil
        }
    }

    /// A count of elements, at least one (an empty collection is noted as such).
    mutating func nonEmptyCount() -> Int? {
        guard let count = count() else { return nil }
        guard count > 0 else {
            isEmptyValue = true
            return nil
        }
        return count
    }

    /// A string in any of its encodings without copying it when it is stored plain (the
    /// bytes then point into the buffer being read).
    mutating func stringReference() -> RDBString? {
        guard let (value, encoded) = length() else { return nil }
        if !encoded {
            guard value <= UInt64(Int.max), let raw = take(Int(value)) else { return nil }
            return RDBString(raw: raw)
        }
        position -= 1  // the length byte again: `string()` decodes the special encodings
        return string().map { RDBString(owned: $0) }
    }

    mutating func binaryDouble() -> Double? {
        guard let raw = take(8) else { return nil }
        return Double(bitPattern: CompactEncodings.readLittleEndian(raw, at: 0, size: 8))
    }

    /// The old text form of a score: a length byte (253 NaN, 254 +inf, 255 -inf) and text.
    mutating func textDouble() -> Double? {
        guard let length = byte() else { return nil }
        switch length {
        case 253: return .nan
        case 254: return .infinity
        case 255: return -.infinity
        default:
            guard let raw = take(Int(length)) else { return nil }
            return RDBValueCodec.parseDouble(Array(raw))
        }
    }
}
