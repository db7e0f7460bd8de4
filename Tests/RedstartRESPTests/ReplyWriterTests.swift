// The reply writer: every RESP3 type and its RESP2 lowering, byte for byte as
// Redis writes them.
import NIOCore
import Testing

@testable import RedstartRESP

private func encode(_ version: RESPVersion, _ write: (inout ReplyWriter) -> Void) -> String {
    var writer = ReplyWriter(buffer: ByteBuffer(), version: version)
    write(&writer)
    return String(buffer: writer.buffer)
}

@Test func simpleTypesAreTheSameInBothVersions() {
    for version in [RESPVersion.resp2, .resp3] {
        #expect(encode(version) { $0.ok() } == "+OK\r\n")
        #expect(encode(version) { $0.simpleString("a\r\nb") } == "+a  b\r\n")
        #expect(encode(version) { $0.error("ERR bad\nthing") } == "-ERR bad thing\r\n")
        #expect(encode(version) { $0.integer(-42) } == ":-42\r\n")
        #expect(encode(version) { $0.integer(Int64.min) } == ":-9223372036854775808\r\n")
        #expect(encode(version) { $0.bulk("hello") } == "$5\r\nhello\r\n")
        #expect(encode(version) { $0.bulk("") } == "$0\r\n\r\n")
        #expect(encode(version) { $0.arrayHeader(3) } == "*3\r\n")
    }
}

@Test func nullsLowerToTheRESP2NullOfTheRightKind() {
    #expect(encode(.resp2) { $0.null() } == "$-1\r\n")
    #expect(encode(.resp2) { $0.nullArray() } == "*-1\r\n")
    #expect(encode(.resp3) { $0.null() } == "_\r\n")
    #expect(encode(.resp3) { $0.nullArray() } == "_\r\n")
}

@Test func booleansLowerToIntegers() {
    #expect(encode(.resp3) { $0.bool(true) } == "#t\r\n")
    #expect(encode(.resp3) { $0.bool(false) } == "#f\r\n")
    #expect(encode(.resp2) { $0.bool(true) } == ":1\r\n")
    #expect(encode(.resp2) { $0.bool(false) } == ":0\r\n")
}

@Test func doublesUsePercent17gAndLowerToBulkStrings() {
    #expect(encode(.resp3) { $0.double(1.5) } == ",1.5\r\n")
    #expect(encode(.resp3) { $0.double(0.1) } == ",0.10000000000000001\r\n")
    #expect(encode(.resp2) { $0.double(0.1) } == "$19\r\n0.10000000000000001\r\n")
    #expect(encode(.resp3) { $0.double(.infinity) } == ",inf\r\n")
    #expect(encode(.resp3) { $0.double(-.infinity) } == ",-inf\r\n")
    #expect(encode(.resp2) { $0.double(-.infinity) } == "$4\r\n-inf\r\n")
    #expect(encode(.resp2) { $0.double(3) } == "$1\r\n3\r\n")
}

@Test func bigNumbersAndVerbatimLowerToBulkStrings() {
    #expect(encode(.resp3) { $0.bigNumber("12345678901234567890") } == "(12345678901234567890\r\n")
    #expect(encode(.resp2) { $0.bigNumber("12345678901234567890") } == "$20\r\n12345678901234567890\r\n")
    #expect(encode(.resp3) { $0.verbatim("hi\n") } == "=7\r\ntxt:hi\n\r\n")
    #expect(encode(.resp2) { $0.verbatim("hi\n") } == "$3\r\nhi\n\r\n")
}

@Test func aggregatesLowerToArrays() {
    #expect(encode(.resp3) { $0.mapHeader(2) } == "%2\r\n")
    #expect(encode(.resp2) { $0.mapHeader(2) } == "*4\r\n")
    #expect(encode(.resp3) { $0.setHeader(2) } == "~2\r\n")
    #expect(encode(.resp2) { $0.setHeader(2) } == "*2\r\n")
    #expect(encode(.resp3) { $0.pushHeader(3) } == ">3\r\n")
    #expect(encode(.resp2) { $0.pushHeader(3) } == "*3\r\n")
    #expect(encode(.resp3) { $0.attributeHeader(1) } == "|1\r\n")
}

@Test func attributesAreDroppedInRESP2() {
    let value = RESPValue.attributed([RESPPair(.bulk("ttl"), .integer(3))], .bulk("v"))
    #expect(encode(.resp3) { $0.value(value) } == "|1\r\n$3\r\nttl\r\n:3\r\n$1\r\nv\r\n")
    #expect(encode(.resp2) { $0.value(value) } == "$1\r\nv\r\n")
}

@Test func deferredLengthsAreInsertedBeforeTheirElements() {
    let text = encode(.resp2) { writer in
        writer.bulk("before")
        let mark = writer.deferLength()
        for index in 0..<12 { writer.integer(index) }
        writer.setDeferredArrayLength(mark, 12)
    }
    #expect(text.hasPrefix("$6\r\nbefore\r\n*12\r\n:0\r\n:1\r\n"))
    #expect(text.hasSuffix(":11\r\n"))
    let map = encode(.resp3) { writer in
        let mark = writer.deferLength()
        writer.bulk("k")
        writer.bulk("v")
        writer.setDeferredMapLength(mark, 1)
    }
    #expect(map == "%1\r\n$1\r\nk\r\n$1\r\nv\r\n")
}

@Test func valueTreesRoundTripThroughTheParser() throws {
    let tree = RESPValue.map([
        RESPPair(.bulk("a"), .array([.integer(1), .null, .boolean(true), .double(2.5)])),
        RESPPair(.simpleString("b"), .set([.bigNumber("7"), .verbatim(format: "txt", text: Array("x".utf8))])),
        RESPPair(.bulk("c"), .push([.error("ERR x")])),
    ])
    var writer = ReplyWriter(buffer: ByteBuffer(), version: .resp3)
    writer.value(tree)
    var buffer = writer.buffer
    let parsed = try RESPValueParser().next(from: &buffer)
    #expect(parsed == tree)
}
