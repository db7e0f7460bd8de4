// Writes an RDB file's records, in Redis 7.0's format (version 10): the
// "REDIS0010" header, aux fields, function libraries, then per database a
// SELECTDB and RESIZEDB and its keys (with their expiry time, and their idle
// time or access frequency under an LRU or LFU eviction policy), then EOF. The
// CRC-64 footer is the writer's: it sees every byte in order (the file writer
// computes it as it writes). A database may be selected more than once: a
// snapshot writes a key early when a command is about to change it, wherever
// its walk is (DatasetSnapshot); SELECTDB only sets the database of the keys
// that follow, so loaders accept this.

/// RDB opcodes (rdb.h).
enum RDBOpcode {
    static let function = UInt8(245)
    static let functionPreRelease = UInt8(246)
    static let moduleAux = UInt8(247)
    static let idle = UInt8(248)
    static let frequency = UInt8(249)
    static let aux = UInt8(250)
    static let resizeDB = UInt8(251)
    static let expireTimeMilliseconds = UInt8(252)
    static let expireTime = UInt8(253)
    static let selectDB = UInt8(254)
    static let eof = UInt8(255)
}

/// What the keys' access clocks are saved as.
enum AccessClockRecord {
    case none
    /// Seconds since the last access (LRU policies).
    case idle
    /// The decayed LFU counter (LFU policies).
    case frequency
}

/// Appends RDB records to a byte buffer.
struct RDBEncoder {
    var out: [UInt8] = []
    let compressing: Bool
    /// The database the keys written next belong to, once one was selected.
    private var selected = -1
    /// Databases whose RESIZEDB hint was written.
    private var sized: Set<Int> = []

    init(compressing: Bool) { self.compressing = compressing }

    /// "REDIS0010" and the aux fields Redis 7.0 writes.
    /// `aofBase`: the file is an AOF base (Redis's RDB preamble marks itself so).
    /// `replication`: where the dataset is in its replication stream (Redis's rdbSaveInfo).
    mutating func header(
        creationTime: Int64, usedMemory: Int, aofBase: Bool = false, replication: RDBReplicationInfo? = nil
    ) {
        out.append(contentsOf: Array("REDIS00\(RDBValueCodec.version)".utf8))
        aux("redis-ver", Engine.redisVersion)
        aux("redis-bits", String(MemoryLayout<Int>.size * 8))
        aux("ctime", String(creationTime))
        aux("used-mem", String(usedMemory))
        if let replication {
            aux("repl-stream-db", String(replication.streamDatabase))
            aux("repl-id", replication.id)
            aux("repl-offset", String(replication.offset))
        }
        aux("aof-base", aofBase ? "1" : "0")
    }

    mutating func aux(_ key: String, _ value: String) {
        out.append(RDBOpcode.aux)
        string(Array(key.utf8))
        string(Array(value.utf8))
    }

    /// A function library's code.
    mutating func function(_ code: [UInt8]) {
        out.append(RDBOpcode.function)
        string(code)
    }

    /// Makes `database` the current one (with its size hint the first time).
    mutating func select(_ database: Int, keys: Int, expires: Int) {
        guard database != selected else { return }
        selected = database
        out.append(RDBOpcode.selectDB)
        RDBValueCodec.writeLength(database, into: &out)
        guard sized.insert(database).inserted else { return }
        out.append(RDBOpcode.resizeDB)
        RDBValueCodec.writeLength(keys, into: &out)
        RDBValueCodec.writeLength(expires, into: &out)
    }

    /// One key of the current database.
    mutating func key(_ key: ByteString, _ value: Value, expiry: Int64?, clock: AccessClockRecord, clockValue: Int) {
        if let expiry {
            out.append(RDBOpcode.expireTimeMilliseconds)
            withUnsafeBytes(of: expiry.littleEndian) { out.append(contentsOf: $0) }
        }
        switch clock {
        case .none: break
        case .idle:
            out.append(RDBOpcode.idle)
            RDBValueCodec.writeLength(clockValue, into: &out)
        case .frequency:
            out.append(RDBOpcode.frequency)
            out.append(UInt8(truncatingIfNeeded: clockValue))
        }
        RDBValueCodec.write(value, compressing: compressing, into: &out, key: key)
    }

    mutating func eof() { out.append(RDBOpcode.eof) }

    private mutating func string(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { RDBValueCodec.writeString($0, compressing: compressing, into: &out) }
    }
}
