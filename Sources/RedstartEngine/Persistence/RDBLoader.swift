// Reads an RDB file (Redis's format, versions 1 to 10) into the engine's
// databases, in steps, so that the server can answer other clients (-LOADING)
// between them. The file is a byte buffer (the host maps it); every read is
// bounds-checked, and anything malformed stops the load with Redis's words for
// it and the offset where it broke. Keys whose expiry time has passed are
// skipped (counted), as a primary does. The CRC-64 footer (version 5 on) is
// checked as the bytes are consumed, unless it is zero (written with
// rdbchecksum no) or checking is off.

/// Why a load stopped.
public struct RDBLoadError: Error, CustomStringConvertible {
    public let description: String
    /// Where in the file, when the file is at fault.
    public let offset: Int?

    init(_ description: String, offset: Int? = nil) {
        self.description = description
        self.offset = offset
    }
}

/// What a loader reads, for an observer.
public enum RDBLoadEvent {
    case aux(String, String, offset: Int)
    case selectDatabase(Int, offset: Int)
    case function(offset: Int)
    case key(database: Int, type: String, expires: Bool, offset: Int)
}

/// A load in progress.
public final class RDBLoader {
    private let bytes: UnsafeRawBufferPointer
    @exclusivity(unchecked) private var reader: RDBReader
    private unowned let engine: Engine
    /// The file's RDB version.
    public let version: Int
    /// Aux fields read so far (redis-ver, ctime, used-mem, ...).
    public private(set) var aux: [(String, String)] = []
    @exclusivity(unchecked) public private(set) var keysLoaded = 0
    @exclusivity(unchecked) public private(set) var keysExpired = 0
    /// Empty collections (which old Redis versions could write) are skipped, as Redis does.
    public private(set) var emptyKeysSkipped = 0
    /// Keys in a file of DEBUG RELOAD MERGE replace existing ones; otherwise a key already
    /// present is a corrupt file.
    private let merge: Bool
    private let checksum: Bool
    /// Parse and check everything, keep nothing (redstart-check-rdb): keys and functions are
    /// counted, not loaded.
    private let verifyOnly: Bool
    /// Told of each record as it is read (the checker's report).
    public var observer: ((RDBLoadEvent) -> Void)?
    /// Told of each key skipped because it expired (database, key).
    public var onExpiredKey: ((Int, [UInt8]) -> Void)?
    @exclusivity(unchecked) private var crc: UInt64 = 0
    @exclusivity(unchecked) private var crcOffset = 0
    @exclusivity(unchecked) private var database: Database
    private let limits: CollectionLimits
    private let now: Int64
    @exclusivity(unchecked) private var finished = false

    /// Starts reading `bytes`; throws when the header is not an RDB file's or is of a newer
    /// version.
    public init(
        _ bytes: UnsafeRawBufferPointer, engine: Engine, merge: Bool = false, checksum: Bool = true, verifyOnly: Bool = false
    ) throws(RDBLoadError) {
        self.bytes = bytes
        self.verifyOnly = verifyOnly
        self.engine = engine
        self.merge = merge
        self.checksum = checksum
        reader = RDBReader(bytes)
        database = engine.databases[0]
        limits = engine.collectionLimits
        now = engine.clock.wallMilliseconds
        guard let magic = reader.take(9), magic.prefix(5).elementsEqual("REDIS".utf8) else {
            throw RDBLoadError("Wrong signature trying to load DB from file", offset: 0)
        }
        guard let version = Int(String(decoding: magic.suffix(4), as: UTF8.self)), version >= 1 else {
            throw RDBLoadError("Can't handle RDB format version \(String(decoding: magic.suffix(4), as: UTF8.self))", offset: 5)
        }
        guard version <= Int(RDBValueCodec.version) else {
            throw RDBLoadError("Can't handle RDB format version \(version)", offset: 5)
        }
        self.version = version
    }

    /// Bytes read so far.
    public var offset: Int { reader.offset }

    /// Reads records until the monotonic clock passes `deadline` (microseconds); true once
    /// the file is read to its end and checked.
    public func step(until deadline: Int64) throws(RDBLoadError) -> Bool {
        var records = 0
        // loading-process-events-interval-bytes: the loop serves clients at least this often.
        let byteLimit = reader.offset &+ engine.loadingEventsIntervalBytes
        while !finished {
            try record()
            records += 1
            if engine.keyLoadDelay > 0 { return false }  // one key per step: tests slow loading down
            if reader.offset >= byteLimit { break }
            if records & 63 == 0 && engine.clock.monotonicMicroseconds >= deadline { break }
        }
        updateChecksum()
        return finished
    }

    // MARK: - Records

    /// The key record being read (for error reports).
    public var currentKey: [UInt8]? { currentKeyReference?.withBytes { Array($0) } }
    @exclusivity(unchecked) private var currentKeyReference: RDBString?
    @exclusivity(unchecked) public private(set) var currentType: RDBType?
    @exclusivity(unchecked) private var expiry: Int64?
    @exclusivity(unchecked) private var idleSeconds: Int?
    @exclusivity(unchecked) private var frequency: Int?

    private func record() throws(RDBLoadError) {
        let start = reader.offset
        guard let type = reader.byte() else { throw truncated() }
        switch type {
        case RDBOpcode.expireTime:
            guard let raw = reader.take(4) else { throw truncated() }
            expiry = Int64(Int32(bitPattern: UInt32(CompactEncodings.readLittleEndian(raw, at: 0, size: 4)))) * 1000
        case RDBOpcode.expireTimeMilliseconds:
            guard let raw = reader.take(8) else { throw truncated() }
            expiry = Int64(bitPattern: CompactEncodings.readLittleEndian(raw, at: 0, size: 8))
        case RDBOpcode.frequency:
            guard let value = reader.byte() else { throw truncated() }
            frequency = Int(value)
        case RDBOpcode.idle:
            guard let (value, encoded) = reader.length(), !encoded else { throw truncated() }
            idleSeconds = Int(clamping: value)
        case RDBOpcode.eof:
            try finish()
        case RDBOpcode.selectDB:
            guard let (index, encoded) = reader.length(), !encoded else { throw truncated() }
            guard index < UInt64(engine.databases.count) else {
                throw corrupt("FATAL: Data file was created with a Redis server configured to handle more than \(engine.databases.count) databases. Exiting\n", at: start)
            }
            database = engine.databases[Int(index)]
            observer?(.selectDatabase(Int(index), offset: start))
        case RDBOpcode.resizeDB:
            guard let (keys, _) = reader.length(), reader.length() != nil else { throw truncated() }
            if !verifyOnly { database.table.reserve(Int(min(keys, 1 << 28))) }
        case RDBOpcode.aux:
            guard let key = reader.string(), let value = reader.string() else { throw truncated() }
            aux.append((String(decoding: key, as: UTF8.self), String(decoding: value, as: UTF8.self)))
            observer?(.aux(aux[aux.count - 1].0, aux[aux.count - 1].1, offset: start))
        case RDBOpcode.moduleAux:
            throw corrupt("The RDB file contains AUX module data I can't load: no matching module", at: start)
        case RDBOpcode.function:
            guard let code = reader.string() else { throw truncated() }
            observer?(.function(offset: start))
            if verifyOnly { return }
            guard let scripting = engine.scripting else { throw corrupt("Failed loading library: no scripting", at: start) }
            do throws(ReplyError) {
                try scripting.loadFunctionLibrary(code, replace: merge)
            } catch {
                throw RDBLoadError("Failed loading library, \(error.line)", offset: start)
            }
        case RDBOpcode.functionPreRelease:
            throw corrupt("Pre-release function format not supported.", at: start)
        default:
            guard let valueType = RDBType(rawValue: type) else { throw corrupt("Unknown RDB encoding type \(type)", at: start) }
            try keyRecord(valueType, at: start)
        }
    }

    private func keyRecord(_ type: RDBType, at start: Int) throws(RDBLoadError) {
        defer {
            expiry = nil
            idleSeconds = nil
            frequency = nil
        }
        guard let key = reader.stringReference() else { throw truncated() }
        currentKeyReference = key
        currentType = type
        let hash = key.withBytes { KeyHash.hash($0) }
        if !verifyOnly { database.table.prefetchBucket(hash: hash) }
        let valueStart = reader.offset
        reader.failure = nil
        reader.isEmptyValue = false
        guard let value = RDBValueCodec.read(type, &reader, limits: limits) else {
            if reader.isEmptyValue && reader.failure == "empty" {
                emptyKeysSkipped += 1
                if emptyKeysSkipped <= 10 {
                    engine.log(.warning, "rdbLoadObject skipping empty key: \(key.withBytes { String(decoding: $0, as: UTF8.self) })")
                }
                return
            }
            throw reader.remaining == 0 ? truncated() : corrupt(reader.failure ?? "Bad data format", at: valueStart)
        }
        observer?(.key(database: database.index, type: value.typeName, expires: expiry != nil, offset: start))
        // A replica keeps keys its primary has not deleted yet, expired or not.
        if let expiry, expiry < now, !engine.replicationGate.isReplica {
            value.release()
            keysExpired += 1
            if let onExpiredKey { onExpiredKey(database.index, key.withBytes { Array($0) }) }
            return
        }
        if verifyOnly {
            value.release()
            keysLoaded += 1
            return
        }
        let keyClock = clock()
        var added = key.withBytes { database.table.insertIfAbsent($0, hash: hash, value, clock: keyClock) }
        if added == nil {
            guard merge else {
                value.release()
                throw RDBLoadError(
                    "RDB has duplicated key '\(key.withBytes { String(decoding: $0, as: UTF8.self) })' in DB \(database.index)",
                    offset: start)
            }
            if let existing = key.withBytes({ database.table.find($0) }) { database.remove(at: existing).release() }
            added = key.withBytes { database.add($0, value, clock: keyClock) }
        }
        if let expiry, let added { database.setExpiry(at: added, to: expiry) }
        keysLoaded += 1
    }

    /// The access clock of the key being loaded: from its saved idle time or frequency when
    /// the policy keeps that kind, else a new key's.
    private func clock() -> UInt32 {
        if let idleSeconds, engine.usesLRU {
            return UInt32(truncatingIfNeeded: max(0, engine.commandTime / 1000 - Int64(idleSeconds))) & Engine.lruClockMax
        }
        if let frequency, engine.usesLFU {
            return (engine.lfuMinutes << 8) | UInt32(frequency)
        }
        return engine.newKeyClock
    }

    private func finish() throws(RDBLoadError) {
        updateChecksum()
        if version >= 5 {
            guard let raw = reader.take(8) else { throw truncated() }
            let stored = CompactEncodings.readLittleEndian(raw, at: 0, size: 8)
            if checksum && stored != 0 && stored != crc {
                throw RDBLoadError(
                    "Wrong RDB checksum expected: (\(String(stored, radix: 16))) got: (\(String(crc, radix: 16))). Aborting now. RDB CRC error",
                    offset: reader.offset - 8)
            }
        }
        finished = true
    }

    /// Adds the bytes consumed since the last update to the running CRC.
    private func updateChecksum() {
        guard checksum, version >= 5 else { return }
        let end = finished ? min(reader.offset, bytes.count - 8) : reader.offset
        guard end > crcOffset else { return }
        crc = CRC64.checksum(UnsafeRawBufferPointer(rebasing: bytes[crcOffset..<end]), continuing: crc)
        crcOffset = end
    }

    private func truncated() -> RDBLoadError {
        RDBLoadError("Unexpected EOF reading RDB file", offset: reader.offset)
    }

    private func corrupt(_ message: String, at offset: Int) -> RDBLoadError {
        RDBLoadError(message, offset: offset)
    }
}
