// DEBUG DIGEST and DEBUG DIGEST-VALUE: Redis's SHA-1 based digest of the
// dataset, equal on Redis and Redstart for equal data, so tests can compare a
// dataset before and after a reload or a transfer. Order-independent parts
// (keys, set members, hash fields, sorted-set members) are xored together;
// ordered parts (list elements, stream entries) are chained through `mix`.
import RedstartRESP

enum DatasetDigest {
    typealias Digest = [UInt8]

    /// digest ^= SHA1(bytes)
    static func xor(_ digest: inout Digest, _ bytes: UnsafeRawBufferPointer) {
        let hash = SHA1.hash(bytes)
        for index in 0..<20 { digest[index] ^= hash[index] }
    }

    /// digest = SHA1(digest ^ SHA1(bytes))
    static func mix(_ digest: inout Digest, _ bytes: UnsafeRawBufferPointer) {
        xor(&digest, bytes)
        digest = digest.withUnsafeBytes { SHA1.hash($0) }
    }

    static func mix(_ digest: inout Digest, _ text: String) {
        var text = text
        text.withUTF8 { mix(&digest, UnsafeRawBufferPointer($0)) }
    }

    static func bigEndian(_ value: Int) -> [UInt8] {
        withUnsafeBytes(of: UInt32(truncatingIfNeeded: value).bigEndian) { Array($0) }
    }

    /// The digest of the whole dataset (forty zeros when it is empty).
    static func dataset(_ databases: [Database]) -> Digest {
        var final = Digest(repeating: 0, count: 20)
        for db in databases where db.count > 0 {
            bigEndian(db.index).withUnsafeBytes { mix(&final, $0) }
            db.table.forEachEntry { index in
                var digest = Digest(repeating: 0, count: 20)
                db.key(at: index).withUnsafeBytes { mix(&digest, $0) }
                value(db, index, into: &digest)
                digest.withUnsafeBytes { xor(&final, $0) }
            }
        }
        return final
    }

    /// Mixes the type, value and expiry of entry `index` into `digest`.
    static func value(_ db: Database, _ index: Int32, into digest: inout Digest) {
        let value = db.value(at: index).pointee
        let type: Int
        switch value {
        case .string, .longString, .integer: type = 0
        case .list: type = 1
        case .set: type = 2
        case .sortedSet: type = 3
        case .hash: type = 4
        case .stream: type = 6
        }
        bigEndian(type).withUnsafeBytes { mix(&digest, $0) }
        switch value {
        case .string, .longString, .integer:
            value.withStringBytes { mix(&digest, $0) }
        case .list(let list):
            if list.count > 0 { list.forEach(in: 0...(list.count - 1)) { mix(&digest, $0) } }
        case .set(let set):
            set.forEach { xor(&digest, $0) }
        case .sortedSet(let zset):
            if zset.count > 0 {
                zset.forEach(in: 0...(zset.count - 1), reverse: false) { member, score in
                    var element = Digest(repeating: 0, count: 20)
                    member.withUnsafeBytes { mix(&element, $0) }
                    mix(&element, formatWithC("%.17g", score))
                    element.withUnsafeBytes { xor(&digest, $0) }
                }
            }
        case .hash(let hash):
            hash.forEachPair { field, value in
                var element = Digest(repeating: 0, count: 20)
                mix(&element, field)
                mix(&element, value)
                element.withUnsafeBytes { xor(&digest, $0) }
            }
        case .stream(let stream):
            stream.forEach(from: StreamID(ms: 0, seq: 0), to: .max) { entry in
                mix(&digest, "\(entry.id.ms).\(entry.id.seq)")
                entry.forEachPair { field, value in
                    mix(&digest, field)
                    mix(&digest, value)
                }
                return true
            }
        }
        if db.expiry(at: index) != nil { Array("!!expire!!".utf8).withUnsafeBytes { xor(&digest, $0) } }
    }

    static func hex(_ digest: Digest) -> String {
        digest.map { byte in (byte < 16 ? "0" : "") + String(byte, radix: 16) }.joined()
    }
}
