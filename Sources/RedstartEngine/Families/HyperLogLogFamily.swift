// HyperLogLog commands: PFADD, PFCOUNT, PFMERGE, PFDEBUG and PFSELFTEST, over
// string values in Redis's layout (Storage/HyperLogLog.swift). A string that is
// not a HyperLogLog is WRONGTYPE; one whose registers do not decode is
// INVALIDOBJ. PFCOUNT of one key stores the estimate in the value's header, so
// it is a write that propagates, as in Redis.
import RedstartRESP

enum HyperLogLogFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init(
                "pfadd", arity: -2, flags: [.write, .denyOOM, .fast], keys: .first, acl: [.hyperLogLog],
                group: "hyperloglog", run: pfadd),
            .init(
                "pfcount", arity: -2, flags: [.readonly, .mayReplicate], keys: .all, acl: [.hyperLogLog],
                group: "hyperloglog", run: pfcount),
            .init(
                "pfmerge", arity: -2, flags: [.write, .denyOOM], keys: .all, acl: [.hyperLogLog],
                group: "hyperloglog", run: pfmerge),
            .init(
                "pfdebug", arity: 3, flags: [.write, .denyOOM, .admin], keys: KeyPositions(first: 2, last: 2, step: 1),
                acl: [.hyperLogLog], group: "hyperloglog", run: pfdebug),
            .init("pfselftest", arity: 1, flags: [.admin], acl: [.hyperLogLog], group: "hyperloglog", run: pfselftest),
        ]
    }

    static let notHyperLogLog = ReplyError(code: "WRONGTYPE", "Key is not a valid HyperLogLog string value.")
    static let corrupt = ReplyError(code: "INVALIDOBJ", "Corrupted HLL object detected")

    // MARK: - Values

    /// The HyperLogLog at entry `index`: WRONGTYPE for another type or a string that is
    /// not one (an integer-encoded string never is).
    static func hyperLogLog(_ db: Database, _ index: Int32) throws(ReplyError) -> HyperLogLog {
        let value = db.value(at: index).pointee
        switch value {
        case .string, .longString:
            guard let hll = value.withStringBytes({ HyperLogLog.isValid($0) ? HyperLogLog(bytes: Array($0)) : nil }) ?? nil
            else { throw notHyperLogLog }
            return hll
        case .integer: throw notHyperLogLog
        default: throw .wrongType
        }
    }

    /// A HyperLogLog's bytes as a string value (changed in place, so OBJECT ENCODING says
    /// `raw`, as for Redis's sds).
    static func stringValue(_ hll: HyperLogLog) -> Value {
        var string = ByteString()
        hll.bytes.withUnsafeBytes { source in
            string.withMutableBytes(minimumCount: source.count) { $0.copyMemory(from: source) }
        }
        return .string(string)
    }

    /// Stores `hll` at entry `index`, or under `key` as a new key when `index` is nil.
    static func store(_ hll: HyperLogLog, _ cmd: CommandContext, _ key: UnsafeRawBufferPointer, at index: Int32?) {
        if let index {
            cmd.db.replaceValue(at: index, with: stringValue(hll))
        } else {
            cmd.engine.addKey(cmd.db, key, stringValue(hll))
        }
    }

    /// Whether entry `index` is a valid dense HyperLogLog (PFADD then changes it in place).
    /// One stored whole (a `longString`: loaded, restored or SET) is made a changeable string
    /// first.
    private static func isDenseHyperLogLog(_ db: Database, _ index: Int32) -> Bool {
        let slot = db.value(at: index)
        guard slot.pointee.withStringBytes({ HyperLogLog.isValid($0) && HyperLogLog.isDense($0) }) == true else {
            return false
        }
        if case .longString = slot.pointee { slot.pointee = .string(StringFamily.takeMutableString(db, index)) }
        return true
    }


    // MARK: - PFADD

    /// PFADD key [element ...] → 1 when a register changed (or the key was created), else 0.
    static func pfadd(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let index = engine.lookupWrite(db, key)
            var updated = 0
            if let index, isDenseHyperLogLog(db, index) {
                updated = addToDense(cmd, at: index)
            } else {
                var hll: HyperLogLog
                if let index {
                    hll = try hyperLogLog(db, index)
                } else {
                    hll = .empty()
                    updated = 1
                }
                let maxBytes = engine.hllSparseMaxBytes
                var failed = false
                for argument in 2..<cmd.args.count {
                    guard let changed = cmd.args.withBytes(at: argument, { hll.add($0, sparseMaxBytes: maxBytes) }) else {
                        failed = true
                        break
                    }
                    updated += changed
                }
                if updated > 0 && !failed { hll.invalidateCache() }
                store(hll, cmd, key, at: index)
                if failed { throw corrupt }
            }
            if updated > 0 {
                engine.keyModified(db, key, changes: updated)
                engine.notify(.string, "pfadd", key, db: db.index)
            }
            cmd.reply.integer(updated > 0 ? 1 : 0)
        }
    }

    /// Adds the command's elements to the dense HyperLogLog at `index` in place; returns
    /// how many changed a register.
    private static func addToDense(_ cmd: CommandContext, at index: Int32) -> Int {
        let slot = cmd.db.value(at: index)
        guard case .string(var bytes) = slot.pointee else { return 0 }
        slot.pointee = .integer(0)  // the only reference to the buffer: it changes in place
        let updated = bytes.withMutableBytes(minimumCount: 0) { hll -> Int in
            var updated = 0
            for argument in 2..<cmd.args.count where cmd.args.withBytes(at: argument, { HyperLogLog.denseAdd(hll, $0) }) {
                updated += 1
            }
            if updated > 0 { hll[15] |= 0x80 }  // the cached cardinality is stale
            return updated
        }
        slot.pointee = .string(bytes)
        return updated
    }

    // MARK: - PFCOUNT

    /// PFCOUNT key [key ...] → integer: the estimated cardinality of one HyperLogLog (cached
    /// in its header) or of the union of several (missing keys count as empty).
    static func pfcount(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let db = cmd.db
        if cmd.args.count > 2 {
            var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
            for argument in 1..<cmd.args.count {
                guard let index = cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else { continue }
                guard try hyperLogLog(db, index).merge(into: &registers) else { throw corrupt }
            }
            cmd.reply.integer(Int64(bitPattern: HyperLogLog.estimate(HyperLogLog.histogram(ofRawRegisters: registers))))
            return
        }
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            guard let index = engine.lookupRead(db, key) else {
                cmd.reply.integer(0)
                return
            }
            var hll = try hyperLogLog(db, index)
            if hll.hasValidCache {
                cmd.reply.integer(Int64(bitPattern: hll.cachedCardinality))
                return
            }
            guard let histogram = hll.histogram() else { throw corrupt }
            let cardinality = HyperLogLog.estimate(histogram)
            hll.setCachedCardinality(cardinality)
            store(hll, cmd, key, at: index)
            engine.keyModified(db, key)
            cmd.reply.integer(Int64(bitPattern: cardinality))
        }
    }

    // MARK: - PFMERGE

    /// PFMERGE destkey [sourcekey ...] → OK: the destination (itself a source when it exists)
    /// becomes the union; it turns dense when any source is dense.
    static func pfmerge(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let db = cmd.db
        var registers = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        var anyDense = false
        for argument in 1..<cmd.args.count {
            guard let index = cmd.args.withBytes(at: argument, { engine.lookupRead(db, $0) }) else { continue }
            let hll = try hyperLogLog(db, index)
            if hll.isDense { anyDense = true }
            guard hll.merge(into: &registers) else { throw corrupt }
        }
        try cmd.withArgument(1) { (key) throws(ReplyError) in
            let index = engine.lookupWrite(db, key)
            var hll = try index.map { (index) throws(ReplyError) in try hyperLogLog(db, index) } ?? .empty()
            if anyDense && !hll.convertToDense() {
                if index == nil { store(hll, cmd, key, at: nil) }
                throw corrupt
            }
            let maxBytes = engine.hllSparseMaxBytes
            for register in 0..<HyperLogLog.registerCount where registers[register] != 0 {
                _ = hll.raise(register, to: registers[register], sparseMaxBytes: maxBytes)
            }
            hll.invalidateCache()
            store(hll, cmd, key, at: index)
            engine.keyModified(db, key)
            engine.notify(.string, "pfadd", key, db: db.index)
            cmd.reply.ok()
        }
    }

    // MARK: - PFDEBUG

    /// PFDEBUG GETREG|DECODE|ENCODING|TODENSE key: the registers (made dense), the sparse
    /// code as text, the encoding, or a conversion to dense (1 when it happened).
    static func pfdebug(_ cmd: CommandContext) throws(ReplyError) {
        let engine = cmd.engine
        let db = cmd.db
        try cmd.withArgument(2) { (key) throws(ReplyError) in
            guard let index = engine.lookupWrite(db, key) else { throw ReplyError("The specified key does not exist") }
            var hll = try hyperLogLog(db, index)
            let subcommand = cmd.args.lowercasedString(at: 1)
            switch subcommand {
            case "getreg":
                if !hll.isDense {
                    guard hll.convertToDense() else { throw corrupt }
                    store(hll, cmd, key, at: index)
                    engine.noteChanges()
                }
                cmd.reply.arrayHeader(HyperLogLog.registerCount)
                hll.bytes.withUnsafeBytes { raw in
                    for register in 0..<HyperLogLog.registerCount {
                        cmd.reply.integer(Int(HyperLogLog.denseRegister(raw, register)))
                    }
                }
            case "decode":
                guard !hll.isDense else { throw ReplyError("HLL encoding is not sparse") }
                cmd.reply.bulk(hll.decodedSparseCode())
            case "encoding":
                cmd.reply.simpleString(hll.isDense ? "dense" : "sparse")
            case "todense":
                var converted = false
                if !hll.isDense {
                    guard hll.convertToDense() else { throw corrupt }
                    store(hll, cmd, key, at: index)
                    engine.noteChanges()
                    converted = true
                }
                cmd.reply.integer(converted ? 1 : 0)
            default:
                throw ReplyError("Unknown PFDEBUG subcommand '\(cmd.args.string(at: 1))'")
            }
        }
    }

    // MARK: - PFSELFTEST

    /// PFSELFTEST → OK, or the first failure: dense registers read back what was written
    /// (1,000 random rounds), and 10 million elements added to a dense and a sparse
    /// HyperLogLog agree with each other and stay within the expected error at 1, 10, 100 …
    static func pfselftest(_ cmd: CommandContext) throws(ReplyError) {
        var dense = [UInt8](repeating: 0, count: HyperLogLog.denseSize)
        var expected = [UInt8](repeating: 0, count: HyperLogLog.registerCount)
        var random = FastRandom()
        for _ in 0..<1000 {
            dense.withUnsafeMutableBytes { raw in
                for register in 0..<HyperLogLog.registerCount {
                    let value = UInt8.random(in: 0...63, using: &random)
                    expected[register] = value
                    HyperLogLog.setDenseRegister(raw, register, value)
                }
            }
            for register in 0..<HyperLogLog.registerCount {
                let value = dense.withUnsafeBytes { HyperLogLog.denseRegister($0, register) }
                guard value == expected[register] else {
                    throw ReplyError("TESTFAILED Register \(register) should be \(expected[register]) but is \(value)")
                }
            }
        }
        var reference = HyperLogLog(bytes: [UInt8](repeating: 0, count: HyperLogLog.denseSize))
        var sparse = HyperLogLog.empty()
        let maxBytes = cmd.engine.hllSparseMaxBytes
        let relativeError = 1.04 / Double(HyperLogLog.registerCount).squareRoot()
        let seed = UInt64.random(in: 0 ... .max, using: &random)
        var checkpoint = 1
        for element in 1...10_000_000 {
            var bytes = (UInt64(element) ^ seed).littleEndian
            withUnsafeBytes(of: &bytes) { raw in
                _ = reference.add(raw, sparseMaxBytes: maxBytes)
                _ = sparse.add(raw, sparseMaxBytes: maxBytes)
            }
            guard element == checkpoint else { continue }
            if element < maxBytes / 2 && sparse.isDense { throw ReplyError("TESTFAILED sparse encoding not used") }
            guard let denseCounts = reference.histogram(), let sparseCounts = sparse.histogram(),
                HyperLogLog.estimate(denseCounts) == HyperLogLog.estimate(sparseCounts)
            else { throw ReplyError("TESTFAILED dense/sparse disagree") }
            let estimate = HyperLogLog.estimate(denseCounts)
            let error = abs(checkpoint - Int(estimate))
            let allowed = element == 10 ? 1 : Int((relativeError * 6 * Double(checkpoint)).rounded(.up))
            if error > allowed {
                throw ReplyError("TESTFAILED Too big error. card:\(checkpoint) abserr:\(error)")
            }
            checkpoint *= 10
        }
        cmd.reply.ok()
    }
}
