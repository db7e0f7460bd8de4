// Writing to stdout and stderr through C's stdio, as redis-cli does: stdout is
// buffered and flushed after each reply, stderr is unbuffered, and exit() flushes
// both, so the order of lines within each stream is redis-cli's.
import Glibc

enum CLIOutput {
    /// Streams of our own over descriptors 1 and 2 (Swift 6 forbids touching C's `stdout`
    /// global); exit() flushes every open stream, these included.
    nonisolated(unsafe) private static let standardOutput = fdopen(1, "w")!
    nonisolated(unsafe) private static let standardError: UnsafeMutablePointer<FILE> = {
        let stream = fdopen(2, "w")!
        setvbuf(stream, nil, _IONBF, 0)
        return stream
    }()

    /// Writes bytes to stdout (buffered).
    static func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, standardOutput) }
    }

    /// Writes text to stdout (buffered).
    static func write(_ text: String) {
        write(Array(text.utf8))
    }

    static func flush() {
        fflush(standardOutput)
    }

    /// Writes bytes to stderr.
    static func error(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { _ = fwrite($0.baseAddress, 1, $0.count, standardError) }
    }

    /// Writes text to stderr.
    static func error(_ text: String) {
        error(Array(text.utf8))
    }

    /// Flushes stdio and ends the process.
    static func exit(_ code: Int32) -> Never {
        Glibc.exit(code)
    }
}

extension Array where Element == UInt8 {
    /// Appends ASCII text.
    mutating func append(_ text: String) {
        append(contentsOf: text.utf8)
    }

    /// The bytes up to the first NUL, as C's `%s` and strlen see a string.
    var cString: ArraySlice<UInt8> {
        self[..<(firstIndex(of: 0) ?? endIndex)]
    }
}
