// A point-in-time RDB image of the dataset, written while the server goes on
// serving (BGSAVE) without fork: see ARCHITECTURE.md, Persistence.
//
// When the snapshot begins, every key table gets a bitmap of its live entry
// slots (`KeyTable.unsaved`): the keys the snapshot still owes. The walk then
// goes through the slots of each table, newest first (recent keys tend to be
// the ones written to next, so they are taken before they change), in steps
// of a few milliseconds between the event loop's other work, writing each
// marked entry and clearing its bit.
// Before anything changes an entry whose bit is still set (a command writing
// the key, an expiry, a removal: `Database.willChange`), the entry is written
// first as it is, and its bit cleared: the file gets every key as it was when
// the snapshot began, whatever happens during the walk. Keys added later sit
// in slots whose bit is clear (free then, or past the bitmap) and are never
// written. The bitmaps travel with their tables (SWAPDB), and a table emptied
// by FLUSHDB is kept here until its walk is done. The cost while no snapshot
// runs is one nil check per change; during one, a bitmap of one bit per slot
// and the records of keys written early (counted as `copiedBytes`, the
// analogue of fork's copy-on-write). The bytes go out in chunks through
// `emit`; the caller writes them (with the CRC-64 for RDB) to the file. The
// records are RDB's, or the commands of an AOF base file (AOFCommandEncoder).

/// What a snapshot is written as.
public enum SnapshotFormat {
    /// An RDB file (also an AOF base file with the RDB preamble: `aofBase`).
    case rdb(compressing: Bool, usedMemory: Int, aofBase: Bool = false)
    /// The commands that rebuild the dataset (an AOF base file), with a `#TS:` line first
    /// when `timestamp` is given.
    case commands(timestamp: Int64?)
}

/// A snapshot being written.
public final class DatasetSnapshot {
    /// A key table to walk: the database it belonged to at the start, and the expiry
    /// times of a table FLUSHDB detached.
    private struct Source {
        let database: Int
        let table: KeyTable
        var detachedExpiry: ExpiryIndex?
        let keys: Int
        let expires: Int
    }

    private unowned let engine: Engine
    private let emit: ([UInt8]) -> Void
    @exclusivity(unchecked) private var encoder: any SnapshotEncoding
    @exclusivity(unchecked) private var sources: [Source] = []
    @exclusivity(unchecked) private var current = 0
    /// The walk's position in the current table: slots at and above it are done.
    @exclusivity(unchecked) private var cursor = Int.max
    private let clockRecord: AccessClockRecord
    /// Bytes gathered before a chunk is handed to `emit`.
    static let chunkSize = 1 << 20
    /// Microseconds to spend per key, rdb-key-save-delay (tests slow saves down with it).
    private let keyDelay: Int64
    private let startMicros: Int64

    /// Keys in the dataset when the snapshot began, and keys written so far.
    @exclusivity(unchecked) public private(set) var keysTotal = 0
    @exclusivity(unchecked) public private(set) var keysWritten = 0
    /// Bytes of keys written early because a command was about to change them.
    @exclusivity(unchecked) public private(set) var copiedBytes = 0

    /// Begins a snapshot of `engine`'s dataset; its first bytes (header, aux fields,
    /// functions) are written at once. A replica's filtered copy leaves out the keys or the
    /// functions (REPLCONF rdb-filter-only).
    public init(
        engine: Engine, format: SnapshotFormat, keys: Bool = true, functions includesFunctions: Bool = true,
        emit: @escaping ([UInt8]) -> Void
    ) {
        self.engine = engine
        self.emit = emit
        let functions = includesFunctions ? engine.scripting?.functionLibraryCodes ?? [] : []
        switch format {
        case .rdb(let compressing, let usedMemory, let aofBase):
            var rdb = RDBEncoder(compressing: compressing)
            rdb.out.reserveCapacity(Self.chunkSize + 64 * 1024)
            rdb.header(
                creationTime: engine.clock.wallMilliseconds / 1000, usedMemory: usedMemory, aofBase: aofBase,
                replication: aofBase ? nil : engine.replication?.saveInfo)
            for code in functions { rdb.function(code) }
            encoder = rdb
            clockRecord = engine.usesLFU ? .frequency : engine.usesLRU ? .idle : .none
        case .commands(let timestamp):
            encoder = AOFCommandEncoder(timestamp: timestamp, functions: functions)
            clockRecord = .none
        }
        keyDelay = engine.rdbKeySaveDelay
        startMicros = engine.clock.monotonicMicroseconds
        for db in engine.databases where keys {
            keysTotal += db.count
            guard db.count > 0 else { continue }
            db.table.beginSnapshot(database: db.index)
            sources.append(Source(database: db.index, table: db.table, keys: db.count, expires: db.expiresCount))
        }
        for db in engine.databases where keys { db.snapshot = self }
    }

    /// Writes keys until the monotonic clock passes `deadline` (microseconds) or `limit` keys
    /// are written; true once every key is written (then `finish`).
    public func step(until deadline: Int64, limit: Int = .max) -> Bool {
        var sinceCheck = 0
        var written = 0
        while current < sources.count {
            let source = sources[current]
            let table = source.table
            let expiry = source.detachedExpiry ?? holder(of: table)?.expiring
            while let slot = table.unsaved?.previous(before: cursor) {
                if written == limit { return false }
                if keyDelay > 0 && Int64(keysWritten + 1) * keyDelay > engine.clock.monotonicMicroseconds - startMicros {
                    return false
                }
                cursor = Int(slot)
                write(source, slot, expiry: expiry)
                written += 1
                sinceCheck += 1
                if sinceCheck == 64 {
                    sinceCheck = 0
                    if engine.clock.monotonicMicroseconds >= deadline { return false }
                }
            }
            table.unsaved = nil
            current += 1
            cursor = .max
        }
        // rdb-key-save-delay (a testing knob) paces the keys written early too, as it paces
        // a forked child's walk that knows nothing of the parent's writes.
        if keyDelay > 0 && Int64(keysWritten) * keyDelay > engine.clock.monotonicMicroseconds - startMicros { return false }
        return true
    }

    /// Ends the file (EOF) and hands out the last bytes; the tables are left unmarked.
    public func finish() {
        encoder.eof()
        flush()
        detach()
    }

    /// Stops without finishing (FLUSHALL, a failed write, shutdown).
    public func abandon() { detach() }

    /// Writes entry `index` of `db` now, before it changes.
    func preserve(_ db: Database, _ index: Int32) {
        guard let position = sources.firstIndex(where: { $0.table === db.table }) else { return }
        let before = encoder.out.count
        write(sources[position], index, expiry: db.expiring)
        copiedBytes += encoder.out.count - before
    }

    /// Keeps a table that FLUSHDB detached from its database, to finish writing it.
    func adopt(_ table: KeyTable, expiring: ExpiryIndex) {
        guard let position = sources.firstIndex(where: { $0.table === table }) else { return }
        sources[position].detachedExpiry = expiring
    }

    // MARK: - Writing

    private func write(_ source: Source, _ slot: Int32, expiry: ExpiryIndex?) {
        source.table.unsaved!.clear(slot)
        let entry = source.table.entry(slot)
        let slotOfExpiry = entry.pointee.expirySlot
        encoder.select(source.database, keys: source.keys, expires: source.expires)
        encoder.key(
            entry.pointee.key, entry.pointee.value,
            expiry: slotOfExpiry >= 0 ? expiry?.time(slotOfExpiry) : nil,
            clock: clockRecord, clockValue: clockValue(entry.pointee.clock))
        keysWritten += 1
        if encoder.out.count >= Self.chunkSize { flush() }
    }

    private func clockValue(_ clock: UInt32) -> Int {
        switch clockRecord {
        case .none: return 0
        case .idle: return Int(engine.idleMilliseconds(clock: clock) / 1000)
        case .frequency: return Int(engine.lfuDecayed(clock))
        }
    }

    private func flush() {
        guard !encoder.out.isEmpty else { return }
        var chunk: [UInt8] = []
        chunk.reserveCapacity(Self.chunkSize + 64 * 1024)
        swap(&chunk, &encoder.out)
        emit(chunk)
    }

    /// The database that holds `table` now (SWAPDB moves tables between them).
    private func holder(of table: KeyTable) -> Database? {
        engine.databases.first { $0.table === table }
    }

    private func detach() {
        var detached: [KeyTable] = []
        for source in sources {
            source.table.unsaved = nil
            if source.detachedExpiry != nil { detached.append(source.table) }
        }
        sources = []
        for db in engine.databases where db.snapshot === self { db.snapshot = nil }
        // Tables FLUSHDB left here are reachable from nowhere else: free them off the loop.
        while let table = detached.popLast() { engine.freeInBackground(table) }
    }
}
