// DUMP and RESTORE: a key's value serialized in Redis's RDB format, followed by
// the RDB version (2 bytes) and a CRC-64 of everything before it (8 bytes),
// both little-endian. Payloads move both ways between Redis and Redstart:
// RESTORE reads every encoding Redis writes (RDBValueCodec); DUMP writes plain
// encodings any Redis loads.
import RedstartRESP

enum DumpFamily: CommandFamily {
    static var commands: [CommandSpec] {
        [
            .init("dump", arity: 2, flags: [.readonly], keys: .first, acl: [.keyspace], group: "generic", run: dump),
            .init(
                "restore", arity: -4, flags: [.write, .denyOOM], keys: .first, acl: [.keyspace, .dangerous],
                group: "generic", run: restore),
            // What a cluster's MIGRATE sends; outside cluster mode, RESTORE itself (as in Redis).
            .init(
                "restore-asking", arity: -4, flags: [.write, .denyOOM, .asking], keys: .first,
                acl: [.keyspace, .dangerous], group: "server", run: restore),
        ]
    }

    /// DUMP key → the serialized value, or null for a missing key.
    static func dump(_ cmd: CommandContext) throws(ReplyError) {
        let db = cmd.db
        guard let index = cmd.args.withBytes(at: 1, { cmd.engine.lookupRead(db, $0) }) else {
            cmd.reply.null()
            return
        }
        cmd.reply.bulk(payload(of: db.value(at: index).pointee, compressing: cmd.engine.rdbCompression))
    }

    /// The DUMP payload of `value`: type, serialization, RDB version, CRC-64.
    static func payload(of value: Value, compressing: Bool) -> [UInt8] {
        var out: [UInt8] = []
        RDBValueCodec.write(value, compressing: compressing, into: &out)
        return DumpPayload.seal(out)
    }

    /// The value in a DUMP payload: nil when its version is newer than ours or its
    /// checksum is wrong (`.failure(version)`), or when it does not parse (`.failure(format)`).
    enum PayloadError: Error { case versionOrChecksum, format(String) }

    static func value(
        from payload: UnsafeRawBufferPointer, limits: CollectionLimits, checksum: Bool = true
    ) -> Result<Value, PayloadError> {
        guard let body = DumpPayload.body(of: payload, checksum: checksum) else { return .failure(.versionOrChecksum) }
        var reader = RDBReader(body)
        guard let value = RDBValueCodec.read(&reader, limits: limits) else {
            return .failure(.format(reader.failure ?? "Bad data format"))
        }
        return .success(value)
    }

    /// RESTORE key ttl payload [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency] → +OK.
    static func restore(_ cmd: CommandContext) throws(ReplyError) {
        var replace = false
        var absoluteTTL = false
        var idleSeconds: Int64?
        var frequency: Int64?
        var index = 4
        while index < cmd.args.count {
            let more = index + 1 < cmd.args.count
            if cmd.argument(index, is: "replace") {
                replace = true
            } else if cmd.argument(index, is: "absttl") {
                absoluteTTL = true
            } else if cmd.argument(index, is: "idletime") && more && frequency == nil {
                let seconds = try cmd.integer(index + 1)
                guard seconds >= 0 else { throw ReplyError("Invalid IDLETIME value, must be >= 0") }
                idleSeconds = seconds
                index += 1
            } else if cmd.argument(index, is: "freq") && more && idleSeconds == nil {
                let value = try cmd.integer(index + 1)
                guard value >= 0 && value <= 255 else { throw ReplyError("Invalid FREQ value, must be >= 0 and <= 255") }
                frequency = value
                index += 1
            } else {
                throw .syntax
            }
            index += 1
        }
        let db = cmd.db
        let engine = cmd.engine
        if !replace && cmd.args.withBytes(at: 1, { engine.lookupWrite(db, $0) }) != nil {
            throw ReplyError(code: "BUSYKEY", "Target key name already exists.")
        }
        var ttl = try cmd.integer(2)
        guard ttl >= 0 else { throw ReplyError("Invalid TTL value, must be >= 0") }
        let limits = engine.collectionLimits
        let checksum = !engine.skipsChecksumValidation
        let loaded = cmd.args.withBytes(at: 3) { value(from: $0, limits: limits, checksum: checksum) }
        let restored: Value
        switch loaded {
        case .success(let value): restored = value
        case .failure(.versionOrChecksum): throw ReplyError("DUMP payload version or checksum are wrong")
        case .failure(.format(let reason)):
            engine.log(.verbose, "Internal error in RDB reading offset 0, function at rdb.c:0 -> \(reason)")
            throw ReplyError("Bad data format")
        }
        cmd.args.withBytes(at: 1) { key in
            var deleted = false
            if replace, let existing = engine.lookupWrite(db, key) {
                engine.deleteKey(db, at: existing, lazily: engine.lazyFreeServerDelete)
                deleted = true
            }
            var expired = false
            if ttl > 0 && !absoluteTTL {
                // A sum past Int64 wraps negative in Redis, which then finds the key expired.
                let (sum, overflow) = ttl.addingReportingOverflow(cmd.now)
                ttl = sum
                expired = overflow
            }
            if expired || (ttl > 0 && ttl <= cmd.now) {
                // Already expired: nothing is stored, but a replaced key is gone.
                restored.release()
                if deleted {
                    engine.keyModified(db, key)
                    engine.notify(.generic, "del", key, db: db.index)
                    engine.propagateRunningCommand(as: [Engine.delName, Array(key)])
                }
                cmd.reply.ok()
                return
            }
            let entry = engine.addKey(db, key, restored)
            if ttl > 0 {
                db.setExpiry(at: entry, to: ttl)
                if !absoluteTTL {
                    // Replicas get the absolute time.
                    var arguments = (0..<cmd.args.count).map { cmd.args.bytes(at: $0) }
                    arguments[2] = Array(String(ttl).utf8)
                    engine.propagateRunningCommand(as: arguments + [Array("ABSTTL".utf8)])
                }
            }
            engine.setAccessClock(db, entry, frequency: frequency, idleSeconds: idleSeconds)
            engine.keyModified(db, key)
            engine.notify(.generic, "restore", key, db: db.index)
            cmd.reply.ok()
        }
    }
}

extension Engine {
    /// RESTORE's FREQ (under an LFU policy) or IDLETIME (otherwise) for a new key.
    func setAccessClock(_ db: Database, _ index: Int32, frequency: Int64?, idleSeconds: Int64?) {
        if usesLFU {
            if let frequency { db.setClock(at: index, (lfuMinutes << 8) | UInt32(frequency)) }
        } else if let idleSeconds {
            let idle = UInt32(truncatingIfNeeded: idleSeconds) & Self.lruClockMax
            let now = lruClock
            db.setClock(at: index, now >= idle ? now - idle : Self.lruClockMax - (idle - now))
        }
    }
}

extension Engine {
    /// The encoding limits loaded values are built with.
    var collectionLimits: CollectionLimits {
        CollectionLimits(
            listShape: listShape, hash: hashLimits, setIntegers: setMaxIntegers,
            zset: zsetLimits, deepSanitization: config["sanitize-dump-payload"] == "yes")
    }
}
