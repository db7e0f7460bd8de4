// Temporary files for config-file tests, removed when the value goes away.
import Foundation

/// A file in the temporary directory with some content.
public final class TemporaryFile: @unchecked Sendable {
    public let path: String

    public init(_ content: String, suffix: String = ".conf") throws {
        path = NSTemporaryDirectory() + "redstart-\(UUID().uuidString)\(suffix)"
        try write(content)
    }

    public func write(_ content: String) throws {
        try content.write(toFile: path, atomically: true, encoding: .utf8)
    }

    public func read() throws -> String {
        try String(contentsOfFile: path, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}
