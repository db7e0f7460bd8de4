// ByteString's comparison with raw bytes: inline strings (up to 23 bytes) compare in
// word loads, heap strings with memcmp; every length and every differing position.
import Testing

@testable import RedstartEngine

@Test func byteStringsEqualExactlyTheSameBytes() {
    for length in 0...40 {
        let original = (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let string = original.withUnsafeBytes { ByteString($0) }
        #expect(original.withUnsafeBytes { string.equals($0) }, "length \(length)")
        for position in 0..<length {
            var changed = original
            changed[position] ^= 0x40
            #expect(!changed.withUnsafeBytes { string.equals($0) }, "length \(length), position \(position)")
        }
        #expect(!(original + [0]).withUnsafeBytes { string.equals($0) }, "longer than \(length)")
        if length > 0 {
            #expect(!original.dropLast().withUnsafeBytes { string.equals($0) }, "shorter than \(length)")
        }
    }
}
