// The limits the request parser enforces, with Redis 7.0's defaults. The server
// copies the configured values (proto-max-bulk-len, ...) into each parser.

/// Limits on what a client may send in one request.
public struct ProtocolLimits: Sendable, Equatable {
    /// Longest bulk argument accepted (`proto-max-bulk-len`, default 512 MB).
    public var maxBulkLength: Int
    /// Longest inline request, and longest multibulk/bulk count line (64 KB in Redis).
    public var maxInlineLength: Int
    /// Largest multibulk count accepted (Redis 7.0 accepts up to INT_MAX).
    public var maxMultibulkLength: Int
    /// Unauthenticated clients may send at most this many arguments...
    public var unauthenticatedMaxMultibulkLength: Int
    /// ...and bulks of at most this many bytes.
    public var unauthenticatedMaxBulkLength: Int

    public init(
        maxBulkLength: Int = 512 * 1024 * 1024,
        maxInlineLength: Int = 64 * 1024,
        maxMultibulkLength: Int = Int(Int32.max),
        unauthenticatedMaxMultibulkLength: Int = 10,
        unauthenticatedMaxBulkLength: Int = 16384
    ) {
        self.maxBulkLength = maxBulkLength
        self.maxInlineLength = maxInlineLength
        self.maxMultibulkLength = maxMultibulkLength
        self.unauthenticatedMaxMultibulkLength = unauthenticatedMaxMultibulkLength
        self.unauthenticatedMaxBulkLength = unauthenticatedMaxBulkLength
    }
}
