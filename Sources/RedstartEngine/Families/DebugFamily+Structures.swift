// DEBUG subcommands that show how one value is stored: SDSLEN (a string's
// length, spare room and allocation, in Redis's reply text), LISTPACK (the
// entries of a packed hash or sorted set) and QUICKLIST (a list's chunks, and
// with 1 their elements), printed to the server's log (stdout when it has no
// log file, as Redis prints them to stdout).
import RedstartRESP

extension DebugFamily {
    /// SDSLEN key: the key's and the string value's bytes, spare room and allocation.
    static func sdsLength(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 2, { db.table.find($0) }) else { throw .noSuchKey }
        let value: (count: Int, spare: Int, heapSize: Int)
        switch db.value(at: entry).pointee {
        case .string(let bytes): value = (bytes.count, bytes.spareCapacity, bytes.heapSize)
        case .longString(let bytes): value = (bytes.count, bytes.heapSize - bytes.count, bytes.heapSize)
        default: throw ReplyError("Not an sds encoded string.")
        }
        let key = db.key(at: entry)
        cmd.reply.simpleString(
            "key_sds_len:\(key.count), key_sds_avail:\(key.spareCapacity), key_zmalloc: \(key.heapSize), "
                + "val_sds_len:\(value.count), val_sds_avail:\(value.spare), val_zmalloc: \(value.heapSize)")
    }

    /// LISTPACK key: the entries of a packed hash or sorted set.
    static func listpack(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 2, { db.table.find($0) }) else { throw .noSuchKey }
        var entries: [String] = []
        switch db.value(at: entry).pointee {
        case .hash(let hash) where hash.encodingName == "listpack":
            hash.forEachPair { field, value in
                entries.append(String(decoding: field, as: UTF8.self))
                entries.append(String(decoding: value, as: UTF8.self))
            }
        case .sortedSet(let zset) where zset.encodingName == "listpack" && zset.count > 0:
            zset.forEach(in: 0...(zset.count - 1), reverse: false) { member, score in
                entries.append(String(decoding: member.bytes, as: UTF8.self))
                entries.append(formatDouble(score))
            }
        default:
            throw ReplyError("Not a listpack encoded object.")
        }
        cmd.engine.log(.warning, "{num entries \(entries.count)}")
        for (index, text) in entries.enumerated() {
            cmd.engine.log(.warning, "{index : \(index), len : \(text.utf8.count), value : \(text)}")
        }
        cmd.reply.simpleString("Listpack structure printed on stdout")
    }

    /// QUICKLIST key [0|1]: a list's chunks, and with 1 their elements.
    static func quicklist(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let entry = cmd.args.withBytes(at: 2, { db.table.find($0) }) else { throw .noSuchKey }
        let full = cmd.args.count == 4 && atoiLike(cmd, 3) != 0
        guard case .list(let list) = db.value(at: entry).pointee else {
            throw ReplyError("Not a quicklist encoded object.")
        }
        for line in list.describe(full: full) { cmd.engine.log(.warning, line) }
        cmd.reply.simpleString("Quicklist structure printed on stdout")
    }
}
