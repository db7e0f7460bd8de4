// RDB snapshots and loading inside one process: a snapshot taken while commands
// change keys holds the dataset as it was when it began; files load back with the
// same digest; damaged files are refused with the offset where they break.
import RedstartRESP
import Testing

@testable import RedstartEngine

@Suite struct PersistenceTests {
    /// DEBUG DIGEST of the harness's engine.
    private func digest(_ harness: EngineHarness, _ session: Session) -> String {
        DatasetDigest.hex(DatasetDigest.dataset(harness.engine.databases))
    }

    /// Loads `bytes` into a fresh engine and returns its digest.
    private func loadedDigest(_ bytes: [UInt8]) throws -> String {
        let fresh = EngineHarness()
        try bytes.withUnsafeBytes { raw in
            let loader = try RDBLoader(raw, engine: fresh.engine)
            while try !loader.step(until: .max) {}
        }
        return digest(fresh, fresh.connect())
    }

    private func snapshotBytes(_ engine: Engine, steps: (DatasetSnapshot) -> Void = { _ in }) -> [UInt8] {
        var bytes: [UInt8] = []
        let snapshot = DatasetSnapshot(engine: engine, format: .rdb(compressing: true, usedMemory: 0)) { bytes += $0 }
        engine.runningSnapshot = snapshot
        steps(snapshot)
        while !snapshot.step(until: .max) {}
        snapshot.finish()
        engine.runningSnapshot = nil
        // The file writer appends the CRC-64.
        let crc = bytes.withUnsafeBytes { CRC64.checksum($0) }
        withUnsafeBytes(of: crc.littleEndian) { bytes += $0 }
        return bytes
    }

    private func populate(_ harness: EngineHarness, _ session: Session) {
        for index in 0..<300 { harness.run(session, "SET", "key:\(index)", "value \(index)") }
        harness.run(session, "RPUSH", "list", "a", "b", "c")
        harness.run(session, "HSET", "hash", "f", "v", "g", "w")
        harness.run(session, "SADD", "set", "1", "2", "x")
        harness.run(session, "ZADD", "zset", "1", "a", "2.5", "b")
        harness.run(session, "XADD", "stream", "1-1", "f", "v")
        harness.run(session, "SET", "expiring", "v", "PX", "100000")
        harness.run(session, "SELECT", "3")
        harness.run(session, "SET", "in-three", "3")
        harness.run(session, "SELECT", "0")
    }

    @Test func loadingStepsEndAfterTheConfiguredBytes() throws {
        let harness = EngineHarness()
        let session = harness.connect()
        // Values LZF cannot shrink: a linear congruential sequence of letters.
        var state: UInt32 = 12345
        for index in 0..<10 {
            let value = String(
                decoding: (0..<3000).map { _ in
                    state = state &* 1_103_515_245 &+ 12345
                    return UInt8(ascii: "a") + UInt8((state >> 16) % 26)
                }, as: UTF8.self)
            harness.run(session, "SET", "big:\(index)", value)
        }
        let bytes = snapshotBytes(harness.engine)
        let fresh = EngineHarness()
        fresh.run(fresh.connect(), "CONFIG", "SET", "loading-process-events-interval-bytes", "1024")
        var steps = 0
        try bytes.withUnsafeBytes { raw in
            let loader = try RDBLoader(raw, engine: fresh.engine)
            repeat { steps += 1 } while try !loader.step(until: .max)
        }
        // Each 3 KB key passes the 1 KB budget: a step each (the aux fields and the first key
        // share the first one), however much time is left.
        #expect(steps >= 10)
        #expect(digest(fresh, fresh.connect()) == digest(harness, session))
    }

    @Test func snapshotRoundTripsThroughTheLoader() throws {
        let harness = EngineHarness()
        let session = harness.connect()
        populate(harness, session)
        let before = digest(harness, session)
        #expect(before != String(repeating: "0", count: 40))
        #expect(try loadedDigest(snapshotBytes(harness.engine)) == before)
    }

    @Test func snapshotIsThePointInTimeWhateverCommandsDo() throws {
        let harness = EngineHarness()
        let session = harness.connect()
        populate(harness, session)
        let before = digest(harness, session)
        let bytes = snapshotBytes(harness.engine) { snapshot in
            _ = snapshot.step(until: .max, limit: 50)
            for index in stride(from: 0, to: 300, by: 7) { harness.run(session, "SET", "key:\(index)", "changed") }
            for index in stride(from: 1, to: 300, by: 11) { harness.run(session, "DEL", "key:\(index)") }
            harness.run(session, "RENAME", "key:2", "renamed")
            harness.run(session, "EXPIRE", "key:4", "100")
            harness.run(session, "PERSIST", "expiring")
            harness.run(session, "RPUSH", "list", "d")
            harness.run(session, "HSET", "hash", "new", "1")
            harness.run(session, "XADD", "stream", "2-1", "g", "w")
            harness.run(session, "SWAPDB", "0", "5")
            harness.run(session, "SELECT", "3")
            harness.run(session, "FLUSHDB")
            harness.run(session, "SELECT", "5")
            harness.run(session, "SET", "brand-new", "1")
            _ = snapshot.step(until: .max, limit: 10)
            harness.run(session, "SWAPDB", "0", "5")
            harness.run(session, "SELECT", "0")
        }
        #expect(digest(harness, session) != before)
        #expect(try loadedDigest(bytes) == before)
        #expect(harness.engine.databases.allSatisfy { $0.table.unsaved == nil && $0.snapshot == nil })
    }

    @Test func truncatedAndDamagedFilesAreRefused() throws {
        let harness = EngineHarness()
        let session = harness.connect()
        populate(harness, session)
        let bytes = snapshotBytes(harness.engine)
        for cut in stride(from: 0, to: bytes.count, by: 97) {
            let report = Array(bytes[..<cut]).withUnsafeBytes { RDBCheck.check($0, name: "cut") }
            #expect(!report.isValid, "cut at \(cut)")
        }
        var damaged = bytes
        damaged[bytes.count / 2] ^= 0xFF
        let report = damaged.withUnsafeBytes { RDBCheck.check($0, name: "damaged") }
        #expect(!report.isValid)
        let good = bytes.withUnsafeBytes { RDBCheck.check($0, name: "good") }
        #expect(good.isValid)
        #expect(good.lines.contains("[info] 307 keys read"))
        #expect(good.lines.contains("[info] db 3: string=1"))
    }

    @Test func newerVersionsAndOtherFilesAreRefused() {
        let newer = Array("REDIS0011".utf8) + [0xFF] + [UInt8](repeating: 0, count: 8)
        let fresh = EngineHarness()
        #expect(throws: RDBLoadError.self) { try newer.withUnsafeBytes { _ = try RDBLoader($0, engine: fresh.engine) } }
        let other = Array("NOTREDIS0".utf8)
        #expect(throws: RDBLoadError.self) { try other.withUnsafeBytes { _ = try RDBLoader($0, engine: fresh.engine) } }
    }

    @Test func emptyDatasetDigestIsZeros() {
        let harness = EngineHarness()
        #expect(digest(harness, harness.connect()) == String(repeating: "0", count: 40))
    }

    @Test func sha1MatchesTheStandardVectors() {
        let abc = Array("abc".utf8).withUnsafeBytes { SHA1.hash($0) }
        #expect(DatasetDigest.hex(abc) == "a9993e364706816aba3e25717850c26c9cd0d89d")
        let long = Array(repeating: UInt8(ascii: "a"), count: 1000).withUnsafeBytes { SHA1.hash($0) }
        #expect(DatasetDigest.hex(long) == "291e9a6c66994949b57ba5e650361e98fc36b1ba")
    }

    @Test func slotBitmapWalksDown() {
        var bitmap = SlotBitmap(count: 130, filled: true)
        bitmap.clear(129)
        bitmap.clear(64)
        #expect(bitmap.previous(before: .max) == 128)
        #expect(bitmap.previous(before: 65) == 63)
        #expect(!bitmap.contains(200))
        for slot in 0..<130 { bitmap.clear(Int32(slot)) }
        #expect(bitmap.previous(before: .max) == nil)
    }

    @Test func failedBackgroundSaveRefusesWritesWithMisconf() throws {
        let harness = try EngineHarness { config in try config.set("save", arguments: ["100", "1"]) }
        let session = harness.connect()
        harness.run(session, "SET", "k", "v")
        harness.engine.persistence.lastBackgroundSaveSucceeded = false
        guard case .error(let error) = harness.run(session, "SET", "k", "w") else {
            Issue.record("SET was not refused")
            return
        }
        #expect(error.hasPrefix("MISCONF "))
        // As Redis, PING is refused too; reads are not.
        guard case .error(let ping) = harness.run(session, "PING") else {
            Issue.record("PING was not refused")
            return
        }
        #expect(ping.hasPrefix("MISCONF "))
        #expect(harness.run(session, "GET", "k") == .bulkString(Array("v".utf8)))
        harness.run(session, "CONFIG", "SET", "stop-writes-on-bgsave-error", "no")
        #expect(harness.run(session, "SET", "k", "w") == .simpleString("OK"))
    }

    @Test func bgsaveInsideExecIsScheduled() {
        let harness = EngineHarness()
        let session = harness.connect()
        harness.run(session, "MULTI")
        harness.run(session, "BGSAVE")
        #expect(harness.run(session, "EXEC") == .array([.simpleString("Background saving scheduled")]))
        #expect(harness.engine.persistence.backgroundSaveScheduled)
        #expect(harness.run(session, "BGSAVE", "NOW") == .error("ERR syntax error"))
    }

    @Test func debugReloadNamesItsOptions() throws {
        let harness = try EngineHarness { config in try config.set("enable-debug-command", arguments: ["yes"]) }
        let session = harness.connect()
        #expect(
            harness.run(session, "DEBUG", "RELOAD", "FAST")
                == .error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options."))
    }

    @Test func loadingRefusesCommandsWithoutTheLoadingFlag() {
        let harness = EngineHarness()
        let session = harness.connect()
        harness.engine.persistence.loading = LoadingProgress(startTime: 0, totalBytes: 100)
        guard case .error(let error) = harness.run(session, "GET", "k") else {
            Issue.record("GET was not refused")
            return
        }
        #expect(error == "LOADING Redis is loading the dataset in memory")
        guard case .bulkString(let info) = harness.run(session, "INFO", "persistence"),
            String(decoding: info, as: UTF8.self).contains("loading:1")
        else {
            Issue.record("INFO was refused while loading")
            return
        }
        harness.engine.persistence.loading = nil
        #expect(harness.run(session, "GET", "k") == .nullBulkString)
    }
}
