// Replays one file of the append-only file, as Redis's loadSingleAppendOnlyFile:
// an RDB part first when the file starts with "REDIS" (a base file with the RDB
// preamble, or an old-style AOF with one), then its commands, run by a client
// of its own that skips the checks clients get (no auth, no -LOADING, no
// MISCONF), never blocks and keeps no replies. It works in steps (start-up
// loads between serving -LOADING) or at once (DEBUG LOADAOF).
//
// How a file ends decides the outcome, with Redis's log lines: a last
// command cut short, or a MULTI without its EXEC at the end, is an
// unexpected end of file — with aof-load-truncated the file is truncated to
// the last whole command (or to before the MULTI) and the rest is kept; a
// record that is not RESP, or an unknown command, always fails.
#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import RedstartEngine
import RedstartRESP

/// How loading one AOF file ended (Redis's AOF_* codes).
enum AOFLoadResult: Equatable {
    case loaded, truncated, empty, notFound, openFailed, failed
}

/// Replays one AOF file into the engine.
final class AOFLoader {
    private let engine: Engine
    private let log: ServerLog
    let fileName: String
    private let path: String
    private let oldStyle: Bool
    private let loadTruncated: Bool
    private let mapping: MappedFile?
    @exclusivity(unchecked) private var rdb: RDBLoader?
    @exclusivity(unchecked) private var position = 0
    /// The offset after the last whole command, and before the MULTI being replayed.
    @exclusivity(unchecked) private var validUpTo = 0
    @exclusivity(unchecked) private var validBeforeMulti = 0
    private let session: Session
    @exclusivity(unchecked) private var argumentBuffer = ByteBufferAllocator().buffer(capacity: 4096)
    /// The result once the file is done.
    @exclusivity(unchecked) private(set) var result: AOFLoadResult?
    /// Bytes of the file.
    var size: Int { mapping?.bytes.count ?? 0 }
    /// A script of the file is paused (the loop serves -LOADING meanwhile).
    var isWaitingForScript: Bool { session.isProtected }
    /// How far the replay is.
    var offset: Int { rdb?.offset ?? position }

    /// Opens `directory/fileName`; `oldStyle` marks an AOF from before the multi-part
    /// layout (its RDB part is a preamble followed by commands).
    init(engine: Engine, log: ServerLog, directory: String, fileName: String, oldStyle: Bool, loadTruncated: Bool) {
        self.engine = engine
        self.log = log
        self.fileName = fileName
        self.oldStyle = oldStyle
        self.loadTruncated = loadTruncated
        path = directory + "/" + fileName
        session = Session(id: .max, now: engine.clock.wallMilliseconds, transport: nil)
        session.isReplayClient = true
        session.isAuthenticated = true
        do throws(RDBFileError) {
            mapping = try MappedFile(path: path)
        } catch {
            mapping = nil
            log.write(.warning, "Fatal error: can't open the append log file \(fileName) for reading: \(error.description)")
            result = .openFailed
            return
        }
        guard let mapping else {
            log.write(.warning, "The append log file \(fileName) doesn't exist: \(String(cString: strerror(ENOENT)))")
            result = .notFound
            return
        }
        if mapping.bytes.isEmpty {
            result = .empty
            return
        }
        if mapping.bytes.count >= 5 && memcmp(mapping.bytes.baseAddress!, "REDIS", 5) == 0 {
            log.write(.notice, oldStyle ? "Reading RDB preamble from AOF file..." : "Reading RDB base file on AOF loading...")
            do throws(RDBLoadError) {
                rdb = try RDBLoader(mapping.bytes, engine: engine, checksum: engine.config.bool("rdbchecksum"))
            } catch {
                rdbFailed(error)
            }
        }
    }

    /// Replays until the monotonic clock passes `deadline` (microseconds); true once the
    /// file is done (see `result`).
    func step(until deadline: Int64) -> Bool {
        if result != nil { return true }
        // A script of the file paused to let the loop serve others (-LOADING): wait for it.
        if session.isProtected { return false }
        guard let bytes = mapping?.bytes else { return true }
        if let rdb {
            do throws(RDBLoadError) {
                guard try rdb.step(until: deadline) else { return false }
            } catch {
                rdbFailed(error)
                return true
            }
            position = rdb.offset
            validUpTo = position
            self.rdb = nil
            if oldStyle { log.write(.notice, "Reading the remaining AOF tail...") }
            if engine.clock.monotonicMicroseconds >= deadline { return false }
        }
        var commands = 0
        let byteLimit = position &+ engine.loadingEventsIntervalBytes
        while position < bytes.count {
            switch AOFRecordParser.record(in: bytes, at: position) {
            case .annotation(_, let end):
                position = end
            case .command(let arguments, _, _) where arguments.isEmpty:
                badFormat()
                return true
            case .command(let arguments, let end, _):
                guard let outcome = replay(bytes, arguments) else {
                    result = .failed
                    return true
                }
                position = end
                validUpTo = end
                commands += 1
                if outcome == .scriptPaused { return false }
                if engine.keyLoadDelay > 0 {
                    usleep(useconds_t(min(engine.keyLoadDelay, 1_000_000)))
                    return false
                }
                if position >= byteLimit { return false }
                if commands & 63 == 0 && engine.clock.monotonicMicroseconds >= deadline { return false }
            case .incomplete:
                // Cut inside a transaction: the whole transaction goes, not only its last
                // command (else later writes appended after a lone MULTI would join it).
                revertTransaction()
                unexpectedEnd()
                return true
            case .malformed:
                badFormat()
                return true
            }
        }
        if session.isInTransaction {
            // A MULTI without its EXEC at the end counts as a short read.
            revertTransaction()
            unexpectedEnd()
            return true
        }
        result = .loaded
        return true
    }

    /// Runs one command; nil for a command Redstart does not know (logged).
    private func replay(_ bytes: UnsafeRawBufferPointer, _ spans: [ArgumentSpan]) -> ExecutionResult? {
        argumentBuffer.clear()
        var local: [ArgumentSpan] = []
        local.reserveCapacity(spans.count)
        for span in spans {
            local.append(ArgumentSpan(offset: argumentBuffer.writerIndex, length: span.length))
            argumentBuffer.writeBytes(UnsafeRawBufferPointer(rebasing: bytes[span.offset..<(span.offset + span.length)]))
        }
        let arguments = CommandArguments(storage: argumentBuffer, base: 0, spans: local)
        guard engine.knowsCommand(arguments) else {
            let name = arguments.withBytes(at: 0) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            log.write(.warning, "Unknown command '\(name)' reading the append only file \(fileName)")
            return nil
        }
        if arguments.isEqual(at: 0, toLowercase: "multi") { validBeforeMulti = validUpTo }
        session.reply.buffer.clear()
        return engine.execute(arguments, for: session)
    }

    /// Drops the transaction being replayed; the file is to be cut before its MULTI.
    private func revertTransaction() {
        guard session.isInTransaction else { return }
        log.write(.warning, "Revert incomplete MULTI/EXEC transaction in AOF file \(fileName)")
        engine.discardTransaction(session)
        validUpTo = validBeforeMulti
    }

    private func badFormat() {
        log.write(
            .warning,
            "Bad file format reading the append only file \(fileName): make a backup of your AOF file, then use ./redstart-check-aof --fix <filename.manifest>"
        )
        result = .failed
    }

    /// A file cut short: truncated to its last whole command with aof-load-truncated, else a failure.
    private func unexpectedEnd() {
        if loadTruncated {
            log.write(.warning, "!!! Warning: short read while loading the AOF file \(fileName)!!!")
            log.write(.warning, "!!! Truncating the AOF \(fileName) at offset \(validUpTo) !!!")
            mapping?.unmap()
            if truncate(path, off_t(validUpTo)) == 0 {
                log.write(.warning, "AOF \(fileName) loaded anyway because aof-load-truncated is enabled")
                result = .truncated
                return
            }
            log.write(.warning, "Error truncating the AOF file \(fileName): \(String(cString: strerror(errno)))")
        }
        log.write(
            .warning,
            "Unexpected end of file reading the append only file \(fileName). You can: 1) Make a backup of your AOF file, then use ./redstart-check-aof --fix <filename.manifest>. 2) Alternatively you can set the 'aof-load-truncated' configuration option to yes and restart the server."
        )
        result = .failed
    }

    private func rdbFailed(_ error: RDBLoadError) {
        log.write(.warning, "Internal error in RDB reading offset \(error.offset ?? 0), function at rdb.c:0 -> \(error.description)")
        log.write(
            .warning,
            oldStyle
                ? "Error reading the RDB preamble of the AOF file \(fileName), AOF loading aborted"
                : "Error reading the RDB base file \(fileName), AOF loading aborted")
        log.write(.warning, "Unrecoverable error reading the append only file \(fileName): Invalid argument")
        rdb = nil
        result = .failed
    }

    /// Unmaps the file.
    func close() { mapping?.unmap() }
}
