// Small file-system helpers the persistence code shares.
#if canImport(Glibc)
import Glibc
#endif

func fileExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0
}

func directoryExists(_ path: String) -> Bool {
    var info = stat()
    return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
}

func readWholeFile(_ path: String) -> [UInt8]? {
    guard let file = fopen(path, "r") else { return nil }
    defer { fclose(file) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = fread(&chunk, 1, chunk.count, file)
        if count > 0 { bytes.append(contentsOf: chunk[0..<count]) }
        if count < chunk.count { break }
    }
    return bytes
}

/// write(2) of all of `bytes`, retried on short writes and EINTR; the bytes written and,
/// when it stopped short, the errno.
func writeFully(_ handle: CInt, _ bytes: UnsafeRawBufferPointer) -> (written: Int, error: CInt) {
    var offset = 0
    while offset < bytes.count {
        let written = write(handle, bytes.baseAddress! + offset, bytes.count - offset)
        if written < 0 {
            if errno == EINTR { continue }
            return (offset, errno)
        }
        offset += written
    }
    return (offset, 0)
}

func writeAll(_ handle: CInt, _ bytes: [UInt8]) -> Bool {
    bytes.withUnsafeBytes { writeFully(handle, $0).error == 0 }
}

func syncDirectory(_ path: String) {
    let handle = open(path.isEmpty ? "." : path, O_RDONLY | O_CLOEXEC)
    guard handle >= 0 else { return }
    fsync(handle)
    close(handle)
}
