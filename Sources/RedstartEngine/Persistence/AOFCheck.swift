// The check of one AOF file, as redis-check-aof does it: the RDB part (when
// the file starts with one), then record after record until the bytes end or
// one is not valid. A transaction counts as valid only once its EXEC is read,
// so `okUpTo` stays before an unfinished MULTI. With a timestamp limit, the
// first `#TS:` annotation past it is where the file is to be cut. The tool
// (redstart-check-aof) reads, prints and truncates; this only judges bytes.

/// What checking one AOF file found.
public struct AOFCheckResult {
    /// Bytes up to the end of the last whole command or transaction.
    public var okUpTo = 0
    /// redis-check-aof's line count: lines read, from 1.
    public var okUpToLine = 1
    /// What broke, as redis-check-aof prints it (`0x<offset>: <reason>`), if anything did.
    public var error: String?
    /// A record that is not RESP at all ("AOF <name> format error").
    public var formatError = false
    /// The RDB part's check, when the file has one.
    public var rdbReport: RDBCheckReport?
    /// With a timestamp limit: the offset of the first annotation after it.
    public var timestampCut: Int?
    /// The first annotation after the limit is the file's first byte.
    public var nothingBeforeTimestamp = false
    /// An annotation `#TS:` whose time is not a number.
    public var invalidTimestamp = false
}

public enum AOFCheck {
    /// Checks `bytes` of the file at `path`; `rdbPreamble`: the file starts with an RDB part.
    public static func check(
        _ bytes: UnsafeRawBufferPointer, path: String, rdbPreamble: Bool, truncateAfter timestamp: Int64? = nil
    ) -> AOFCheckResult {
        var result = AOFCheckResult()
        var position = 0
        if rdbPreamble {
            let report = RDBCheck.check(bytes, name: path)
            result.rdbReport = report
            guard report.isValid else { return result }
            position = report.endOffset
        }
        var inTransaction = false
        var transactionStart = position
        var readToEnd = false
        // Where redis-check-aof's last read began (its error offsets point there).
        var lastRead = position
        loop: while true {
            if !inTransaction { result.okUpTo = position }
            if position >= bytes.count {
                readToEnd = true
                break
            }
            let record = AOFRecordParser.record(in: bytes, at: position)
            switch record {
            case .annotation(let text, let end):
                if let timestamp, text.starts(with: Array("TS:".utf8)) {
                    guard let value = Int64(String(decoding: text.dropFirst(3), as: UTF8.self)) else {
                        result.invalidTimestamp = true
                        return result
                    }
                    if value > timestamp {
                        if position == 0 { result.nothingBeforeTimestamp = true }
                        result.timestampCut = position
                        return result
                    }
                }
                lastRead = position
                position = end
            case .command(let arguments, let end, let lines):
                result.okUpToLine += lines
                position = end
                guard let first = arguments.first else { continue }
                lastRead = arguments[arguments.count - 1].offset
                let name = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[first.offset..<(first.offset + first.length)]), as: UTF8.self)
                    .lowercased()
                if name == "multi" {
                    if inTransaction {
                        result.error = describe(first.offset, "Unexpected MULTI in AOF \(path)")
                        break loop
                    }
                    inTransaction = true
                    transactionStart = result.okUpTo
                } else if name == "exec" {
                    if !inTransaction {
                        result.error = describe(first.offset, "Unexpected EXEC in AOF \(path)")
                        break loop
                    }
                    inTransaction = false
                }
            case .incomplete(let lines, let failedAt, let reason):
                result.okUpToLine += lines
                if let reason { result.error = describe(failedAt, reason) }
                lastRead = failedAt
                readToEnd = true
                break loop
            case .malformed(let lines, let failedAt, let reason):
                result.okUpToLine += lines
                if lines == 0 && bytes[position] != UInt8(ascii: "*") {
                    result.formatError = true
                } else {
                    result.error = describe(failedAt, reason)
                }
                break loop
            }
        }
        if readToEnd && inTransaction && result.error == nil {
            result.error = describe(lastRead, "Reached EOF before reading EXEC for MULTI")
        }
        if inTransaction { result.okUpTo = transactionStart }
        return result
    }

    /// `0x<offset, 16 wide>: <reason>`, as redis-check-aof's ERROR macro.
    static func describe(_ offset: Int, _ reason: String) -> String {
        let hex = String(offset, radix: 16)
        return "0x" + String(repeating: " ", count: max(0, 16 - hex.count)) + hex + ": " + reason
    }
}
