// The request parser: the same commands whatever the split of the bytes,
// Redis's limits and error texts, the inline form with its quoting rules.
import NIOCore
import Testing

@testable import RedstartRESP

/// Parses everything in `chunks`, fed one after the other; returns the commands as strings.
private func parseAll(_ chunks: [[UInt8]], limits: ProtocolLimits = ProtocolLimits()) throws -> [[String]] {
    var parser = RequestParser(limits: limits)
    var buffer = ByteBuffer()
    var commands: [[String]] = []
    for chunk in chunks {
        buffer.writeBytes(chunk)
        while let arguments = try parser.next(from: &buffer) {
            commands.append((0..<arguments.count).map { arguments.string(at: $0) })
        }
    }
    return commands
}

private func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

private let pipeline = bytes(
    "*3\r\n$3\r\nSET\r\n$3\r\nkey\r\n$5\r\nvalue\r\n*2\r\n$3\r\nGET\r\n$3\r\nkey\r\nPING\r\n*1\r\n$4\r\nPING\r\n"
        + "SET \"a b\" 'c'\r\n*0\r\n\r\n*2\r\n$4\r\nECHO\r\n$0\r\n\r\n")
private let expected = [["SET", "key", "value"], ["GET", "key"], ["PING"], ["PING"], ["SET", "a b", "c"], ["ECHO", ""]]

@Test func parsesAPipelineInOneChunk() throws {
    #expect(try parseAll([pipeline]) == expected)
}

@Test func parsesTheSamePipelineSplitAtEveryByte() throws {
    for split in 1..<pipeline.count {
        let result = try parseAll([Array(pipeline[..<split]), Array(pipeline[split...])])
        #expect(result == expected, "split at \(split)")
    }
}

@Test func parsesThePipelineFedByteByByte() throws {
    #expect(try parseAll(pipeline.map { [$0] }) == expected)
}

@Test func parsesBinaryArguments() throws {
    let value: [UInt8] = [0, 13, 10, 255, 36, 42]
    var request = bytes("*2\r\n$4\r\nECHO\r\n$6\r\n")
    request += value + bytes("\r\n")
    var parser = RequestParser()
    var buffer = ByteBuffer(bytes: request)
    let arguments = try #require(try parser.next(from: &buffer))
    #expect(arguments.bytes(at: 1) == value)
}

@Test func bigBulkAcrossManyChunks() throws {
    let payload = [UInt8](repeating: 120, count: 1_000_000)
    let request = bytes("*2\r\n$4\r\nECHO\r\n$1000000\r\n") + payload + bytes("\r\n")
    let chunks = stride(from: 0, to: request.count, by: 4096).map { Array(request[$0..<min($0 + 4096, request.count)]) }
    let result = try parseAll(chunks)
    #expect(result.count == 1)
    #expect(result[0][1].utf8.count == 1_000_000)
}

@Test(arguments: [
    ("*abc\r\n", "Protocol error: invalid multibulk length"),
    ("*-\r\n", "Protocol error: invalid multibulk length"),
    ("*3000000000\r\n", "Protocol error: invalid multibulk length"),
    ("*1\r\n$x\r\n", "Protocol error: invalid bulk length"),
    ("*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
    ("*1\r\n$536870913\r\n", "Protocol error: invalid bulk length"),
    ("*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
    ("SET \"a\r\n", "Protocol error: unbalanced quotes in request"),
    ("SET \"a\"b\r\n", "Protocol error: unbalanced quotes in request"),
    ("SET 'a\r\n", "Protocol error: unbalanced quotes in request"),
])
func protocolErrorsHaveRedisTexts(input: String, message: String) {
    #expect(throws: ProtocolError(String(message.dropFirst("Protocol error: ".count)))) {
        _ = try parseAll([bytes(input)])
    }
}

@Test func tooBigInlineRequestIsRefused() {
    let line = [UInt8](repeating: 97, count: 64 * 1024 + 1)
    #expect(throws: ProtocolError.tooBigInlineRequest) { _ = try parseAll([line]) }
}

@Test func tooBigCountLinesAreRefused() {
    let count = bytes("*") + [UInt8](repeating: 49, count: 64 * 1024 + 1)
    #expect(throws: ProtocolError.tooBigMultibulkCount) { _ = try parseAll([count]) }
    let bulk = bytes("*1\r\n$") + [UInt8](repeating: 49, count: 64 * 1024 + 1)
    #expect(throws: ProtocolError.tooBigBulkCount) { _ = try parseAll([bulk]) }
}

@Test func configuredBulkLimitApplies() throws {
    var limits = ProtocolLimits()
    limits.maxBulkLength = 10
    #expect(throws: ProtocolError.invalidBulkLength) {
        _ = try parseAll([bytes("*1\r\n$11\r\nhello world\r\n")], limits: limits)
    }
    #expect(try parseAll([bytes("*1\r\n$10\r\nhelloworld\r\n")], limits: limits) == [["helloworld"]])
}

@Test func unauthenticatedClientsHaveTighterLimits() throws {
    var parser = RequestParser()
    parser.isAuthenticationRequired = true
    var many = ByteBuffer(string: "*11\r\n")
    #expect(throws: ProtocolError.unauthenticatedMultibulkLength) { _ = try parser.next(from: &many) }
    var parser2 = RequestParser()
    parser2.isAuthenticationRequired = true
    var big = ByteBuffer(string: "*1\r\n$16385\r\n")
    #expect(throws: ProtocolError.unauthenticatedBulkLength) { _ = try parser2.next(from: &big) }
}

@Test func inlineQuotingFollowsSdssplitargs() throws {
    let line = bytes(#"set "a\x41\n" 'it\'s' "q\"q" plain"#) + bytes("\r\n")
    let result = try parseAll([line])
    #expect(result == [["set", "aA\n", "it's", "q\"q", "plain"]])
}

@Test func inlineAcceptsBareNewlineAndSkipsBlankLines() throws {
    #expect(try parseAll([bytes("\r\n\n  \nPING\nECHO x\n")]) == [["PING"], ["ECHO", "x"]])
}

@Test func emptyMultibulkIsSkipped() throws {
    #expect(try parseAll([bytes("*0\r\n*-1\r\n*1\r\n$4\r\nPING\r\n")]) == [["PING"]])
}

@Test func strictIntegerParsing() {
    let cases: [(String, Int64?)] = [
        ("0", 0), ("-1", -1), ("123", 123), ("9223372036854775807", .max), ("-9223372036854775808", .min),
        ("9223372036854775808", nil), ("007", nil), ("-0", nil), ("+1", nil), (" 1", nil), ("1 ", nil), ("", nil),
        ("-", nil), ("1e3", nil),
    ]
    for (text, value) in cases {
        #expect(parseRedisInteger(Array(text.utf8)) == value, "\(text)")
    }
}

@Test func aHugeCommandsSpansAreNotKeptForTheNextCommands() throws {
    var parser = RequestParser()
    var input = ByteBuffer(string: "*100001\r\n$4\r\nSADD\r\n" + String(repeating: "$1\r\nx\r\n", count: 100_000) + "*1\r\n$4\r\nPING\r\n")
    #expect(try parser.next(from: &input)?.count == 100_001)
    #expect(try parser.next(from: &input)?.count == 1)
    #expect(parser.retainedSpanCapacity <= 4096)
}
