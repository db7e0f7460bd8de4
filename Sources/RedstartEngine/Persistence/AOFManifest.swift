// The manifest of Redis 7's multi-part append-only file: which files make up
// the AOF, in order. One line per file, `file <name> seq <n> type <b|h|i>`:
// at most one base file (a snapshot, RDB or commands), history files (the
// previous base and increments, removed once a rewrite succeeded), and the
// incremental files that hold the writes since the base, oldest first. Names
// follow `<appendfilename>.<seq>.base.rdb|aof` and `<appendfilename>.<seq>.incr.aof`;
// a name that needs quoting is written as Redis's sdscatrepr does and read
// with sdssplitargs. Parsing is as strict as Redis's, with its messages.
import RedstartRESP

/// One file of the AOF.
public struct AOFFileInfo: Equatable, Sendable {
    public enum Kind: UInt8, Sendable {
        case base = 98  // "b"
        case history = 104  // "h"
        case incremental = 105  // "i"
    }

    public var name: String
    public var sequence: Int64
    public var kind: Kind

    public init(name: String, sequence: Int64, kind: Kind) {
        self.name = name
        self.sequence = sequence
        self.kind = kind
    }

    /// The manifest line, without its newline.
    var line: String {
        "file \(Self.quotedIfNeeded(name)) seq \(sequence) type \(Character(Unicode.Scalar(kind.rawValue)))"
    }

    /// `name` as sdscatrepr writes it when sdsneedsrepr says so, else as it is.
    static func quotedIfNeeded(_ name: String) -> String {
        let bytes = Array(name.utf8)
        let needsQuotes = bytes.contains { byte in
            byte == 0x5C || byte == 0x22 || byte < 0x21 || byte > 0x7E
        }
        guard needsQuotes else { return name }
        var out = "\""
        for byte in bytes {
            switch byte {
            case 0x5C: out += "\\\\"
            case 0x22: out += "\\\""
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0x07: out += "\\a"
            case 0x08: out += "\\b"
            case 0x20...0x7E: out.append(Character(Unicode.Scalar(byte)))
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return out + "\""
    }
}

/// Why a manifest could not be read: Redis's reason, and the line it was found at.
public struct AOFManifestError: Error, CustomStringConvertible {
    public let reason: String
    public let lineNumber: Int?
    public let line: String?

    /// The lines Redis logs for it.
    public var logLines: [String] {
        var lines = ["\n*** FATAL AOF MANIFEST FILE ERROR ***\n"]
        if let lineNumber, let line {
            lines.append("Reading the manifest file, at line \(lineNumber)\n")
            lines.append(">>> '\(line)'\n")
        }
        lines.append("\(reason)\n")
        return lines
    }

    public var description: String { reason }
}

/// The files of a multi-part AOF and the sequence numbers of the next ones.
public struct AOFManifest: Equatable, Sendable {
    public var base: AOFFileInfo?
    /// Files replaced by a rewrite, waiting to be removed.
    public var history: [AOFFileInfo] = []
    /// The incremental files, oldest first; the last one is being written.
    public var incremental: [AOFFileInfo] = []
    public var baseSequence: Int64 = 0
    public var incrementalSequence: Int64 = 0

    public init() {}

    public var isEmpty: Bool { base == nil && incremental.isEmpty }

    /// The base and incremental files, in loading order.
    public var filesToLoad: [AOFFileInfo] { (base.map { [$0] } ?? []) + incremental }

    /// The manifest file's text.
    public var text: String {
        var out = ""
        for info in (base.map { [$0] } ?? []) + history + incremental { out += info.line + "\n" }
        return out
    }

    /// Parses a manifest as Redis's aofLoadManifestFromFile does.
    public static func parse(_ bytes: [UInt8]) throws(AOFManifestError) -> AOFManifest {
        var manifest = AOFManifest()
        var lineNumber = 0
        var position = 0
        var highestIncremental: Int64 = 0
        let maximumLine = 1024
        while position < bytes.count {
            // fgets with a 1025-byte buffer: a line, or its first 1024 bytes.
            var end = position
            while end < bytes.count && end - position < maximumLine && bytes[end] != 0x0A { end += 1 }
            let hasNewline = end < bytes.count && bytes[end] == 0x0A
            let raw = Array(bytes[position..<end])
            position = hasNewline ? end + 1 : end
            lineNumber += 1
            if raw.first == UInt8(ascii: "#") { continue }
            let trimmed = trim(raw)
            let text = String(decoding: trimmed, as: UTF8.self)
            func failure(_ reason: String) -> AOFManifestError {
                AOFManifestError(reason: reason, lineNumber: lineNumber, line: text)
            }
            guard hasNewline else {
                throw AOFManifestError(reason: "The AOF manifest file contains too long line", lineNumber: nil, line: nil)
            }
            guard !trimmed.isEmpty else { throw failure("Invalid AOF manifest file format") }
            guard let words = trimmed.withUnsafeBytes({ splitInlineArguments($0) }), words.count >= 6, words.count % 2 == 0
            else { throw failure("Invalid AOF manifest file format") }
            var name: String?
            var sequence: Int64 = 0
            var kind: UInt8 = 0
            for pair in stride(from: 0, to: words.count, by: 2) {
                let key = String(decoding: words[pair], as: UTF8.self).lowercased()
                let value = words[pair + 1]
                switch key {
                case "file":
                    let fileName = String(decoding: value, as: UTF8.self)
                    if value.contains(UInt8(ascii: "/")) { throw failure("File can't be a path, just a filename") }
                    name = fileName
                case "seq":
                    sequence = cLongLong(value)
                case "type":
                    kind = value.first ?? 0
                default:
                    continue
                }
            }
            guard let name, sequence != 0, kind != 0 else { throw failure("Invalid AOF manifest file format") }
            switch AOFFileInfo.Kind(rawValue: kind) {
            case .base:
                if manifest.base != nil { throw failure("Found duplicate base file information") }
                manifest.base = AOFFileInfo(name: name, sequence: sequence, kind: .base)
                manifest.baseSequence = sequence
            case .history:
                manifest.history.append(AOFFileInfo(name: name, sequence: sequence, kind: .history))
            case .incremental:
                if sequence <= highestIncremental { throw failure("Found a non-monotonic sequence number") }
                manifest.incremental.append(AOFFileInfo(name: name, sequence: sequence, kind: .incremental))
                manifest.incrementalSequence = sequence
                highestIncremental = sequence
            case nil:
                throw failure("Unknown AOF file type")
            }
        }
        if lineNumber == 0 { throw AOFManifestError(reason: "Found an empty AOF manifest", lineNumber: nil, line: nil) }
        return manifest
    }

    // MARK: - Changes

    /// Makes a new base file the current one; the previous base becomes history.
    /// Returns its name: `<prefix>.<seq>.base.rdb` (RDB preamble) or `.base.aof`.
    public mutating func addBase(prefix: String, rdbFormat: Bool) -> String {
        if var previous = base {
            previous.kind = .history
            history.insert(previous, at: 0)
        }
        baseSequence += 1
        let name = "\(prefix).\(baseSequence).base.\(rdbFormat ? "rdb" : "aof")"
        base = AOFFileInfo(name: name, sequence: baseSequence, kind: .base)
        return name
    }

    /// Adds a new incremental file at the end; returns its name.
    public mutating func addIncremental(prefix: String) -> String {
        incrementalSequence += 1
        let name = "\(prefix).\(incrementalSequence).incr.aof"
        incremental.append(AOFFileInfo(name: name, sequence: incrementalSequence, kind: .incremental))
        return name
    }

    /// The last incremental file, added when there is none.
    public mutating func lastIncremental(prefix: String) -> String {
        if let last = incremental.last { return last.name }
        return addIncremental(prefix: prefix)
    }

    /// After a rewrite: the incremental files it covers become history, all but the one
    /// being written when `keepingLast`.
    public mutating func markRewrittenIncrementalsAsHistory(keepingLast: Bool) {
        let kept = keepingLast && !incremental.isEmpty ? [incremental.removeLast()] : []
        // Newest first to the front of the history, as Redis walks its list from the tail.
        for var info in incremental.reversed() {
            info.kind = .history
            history.insert(info, at: 0)
        }
        incremental = kept
    }

    // MARK: - Helpers

    private static func trim(_ bytes: [UInt8]) -> [UInt8] {
        func isTrimmed(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A }
        var slice = bytes[...]
        while let first = slice.first, isTrimmed(first) { slice = slice.dropFirst() }
        while let last = slice.last, isTrimmed(last) { slice = slice.dropLast() }
        return Array(slice)
    }

    /// atoll: optional spaces and sign, then digits up to the first non-digit.
    private static func cLongLong(_ bytes: [UInt8]) -> Int64 {
        var index = 0
        while index < bytes.count && (bytes[index] == 0x20 || (bytes[index] >= 0x09 && bytes[index] <= 0x0D)) { index += 1 }
        var negative = false
        if index < bytes.count && (bytes[index] == UInt8(ascii: "-") || bytes[index] == UInt8(ascii: "+")) {
            negative = bytes[index] == UInt8(ascii: "-")
            index += 1
        }
        var value: Int64 = 0
        while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
            value = value &* 10 &+ Int64(bytes[index] - 0x30)
            index += 1
        }
        return negative ? -value : value
    }
}
