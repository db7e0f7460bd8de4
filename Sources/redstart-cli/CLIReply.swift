// A reply as redis-cli's hiredis sees it: every text kept as the server's bytes (a
// double's digits, a status line with non-UTF-8 bytes), RESP2's two nulls and RESP3's
// `_` folded into one nil, a map's keys and values interleaved. Formatting needs
// nothing more; RESP3 attributes never get here (hiredis 1.0 rejects them).

/// One reply.
indirect enum CLIReply {
    /// The four aggregate types; a map holds 2n elements.
    enum Aggregate {
        case array, map, set, push
    }

    case status([UInt8])
    case error([UInt8])
    case integer(Int64)
    /// The server's text (`1.5`, `inf`).
    case double([UInt8])
    case null
    case boolean(Bool)
    case string([UInt8])
    /// The text after the `txt:` (format) prefix.
    case verbatim([UInt8])
    case bigNumber([UInt8])
    case aggregate(Aggregate, [CLIReply])

    var isError: Bool {
        if case .error = self { return true }
        return false
    }

    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}
