// Writes an RDB file (or an AOF base file) safely: the bytes go to a temporary
// file in the same directory, the CRC-64 of everything is appended (zero with
// rdbchecksum no; none for an AOF base of commands),
// the file is fsynced and only then renamed over the real name, and the
// directory is fsynced so that the rename itself is on disk. A crash at any
// point leaves the previous dump as it was. Chunks may be written from a
// background thread, one at a time in order; the first failure is kept and
// every later write is skipped.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine
import Synchronization

/// One RDB file being written.
final class RDBFileWriter: @unchecked Sendable {
    let temporaryPath: String
    let path: String
    private let checksum: Bool
    /// False for a file of commands (an AOF base without the RDB preamble): no CRC footer.
    private let footer: Bool
    /// The bytes go to a background writer process, which makes the file.
    private let isPipe: Bool
    private var descriptor: CInt
    /// Touched only by the thread that writes (one at a time).
    private var crc: UInt64 = 0
    private var failure: String?
    /// Bytes handed to `write` (from another thread) and not written yet.
    let backlog = Atomic<Int>(0)
    /// Set once a write failed, so that the producer can stop early.
    let failed = Atomic<Bool>(false)

    /// Creates the temporary file; throws Redis's log text when it cannot.
    /// rdb-save-incremental-fsync: the file is synced every 4 MB as it is written.
    private var syncsIncrementally = false
    private var unsynced = 0

    init(
        directory: String, fileName: String, temporaryName: String, checksum: Bool, footer: Bool = true,
        syncsIncrementally: Bool = false
    ) throws(RDBFileError) {
        self.syncsIncrementally = syncsIncrementally
        let base = directory.hasSuffix("/") ? directory : directory + "/"
        path = base + fileName
        temporaryPath = base + temporaryName
        self.checksum = checksum && footer
        self.footer = footer
        isPipe = false
        descriptor = open(temporaryPath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw RDBFileError(
                "Failed opening the temp RDB file \(temporaryName) (in server root dir \(directory)) for saving: \(reason)")
        }
    }

    /// Writes into `pipe`, the input of a background writer process (which writes, syncs and
    /// names the file; see BackgroundWriterProcess).
    init(pipe: CInt, checksum: Bool, footer: Bool) {
        path = ""
        temporaryPath = ""
        self.checksum = checksum && footer
        self.footer = footer
        isPipe = true
        descriptor = pipe
    }

    /// Appends `bytes` (and adds them to the checksum).
    func write(_ bytes: [UInt8]) {
        defer { backlog.subtract(bytes.count, ordering: .relaxed) }
        guard failure == nil else { return }
        if checksum { crc = bytes.withUnsafeBytes { CRC64.checksum($0, continuing: crc) } }
        _ = writeAll(bytes)
    }

    /// Notes `count` bytes on their way to `write` from another thread.
    func queue(_ count: Int) { backlog.add(count, ordering: .relaxed) }

    /// Appends the checksum, syncs, closes and renames; returns the failure, if any (the
    /// temporary file is then removed).
    func finish() -> String? {
        if failure == nil && footer {
            _ = writeAll(withUnsafeBytes(of: crc.littleEndian) { Array($0) })
        }
        if isPipe {
            // End of input: the process syncs its file and exits.
            close(descriptor)
            descriptor = -1
            return failure
        }
        if failure == nil && fsync(descriptor) != 0 { fail("Write error saving DB on disk: \(String(cString: strerror(errno)))") }
        close(descriptor)
        descriptor = -1
        if failure == nil && rename(temporaryPath, path) != 0 {
            fail("Error moving temp DB file \(temporaryPath) on the final destination \(path) (in server root dir): \(String(cString: strerror(errno)))")
        }
        guard failure == nil else {
            unlink(temporaryPath)
            return failure
        }
        syncDirectory()
        return nil
    }

    /// Closes and removes the temporary file (an abandoned save).
    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        if !isPipe { unlink(temporaryPath) }
    }

    private func writeAll(_ bytes: [UInt8]) -> Bool {
        let error = bytes.withUnsafeBytes { writeFully(descriptor, $0).error }
        guard error == 0 else {
            fail("Write error saving DB on disk: \(String(cString: strerror(error)))")
            return false
        }
        unsynced += bytes.count
        if syncsIncrementally && unsynced >= BackgroundWriterProcess.incrementalSyncBytes {
            unsynced = 0
            guard fdatasync(descriptor) == 0 else {
                fail("Write error saving DB on disk: \(String(cString: strerror(errno)))")
                return false
            }
        }
        return true
    }

    private func fail(_ reason: String) {
        if failure == nil { failure = reason }
        failed.store(true, ordering: .relaxed)
    }

    private func syncDirectory() {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let handle = open(directory.isEmpty ? "/" : directory, O_RDONLY | O_CLOEXEC)
        guard handle >= 0 else { return }
        fsync(handle)
        close(handle)
    }
}

/// A file that could not be written or read, with the text the log shows.
public struct RDBFileError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
}
