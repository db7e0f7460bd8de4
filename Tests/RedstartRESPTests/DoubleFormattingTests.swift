// Doubles in replies are written as C's `%.17g` writes them, integers by a fast path that
// must agree with it exactly.
import NIOCore
import Testing

@testable import RedstartRESP

@Suite struct DoubleFormattingTests {
    @Test func integersAndFractionsMatchPrintf() {
        var values: [Double] = [
            0, 1, -1, 0.5, -0.5, 1.5, 3.14159, 1e-300, 2.5e300, 1e16, 1e17, -1e17, 123_456_789_012_345,
            1_700_000_000_000, 9_007_199_254_740_991, 9_007_199_254_740_992, -9_007_199_254_740_993,
            Double.leastNonzeroMagnitude, Double.greatestFiniteMagnitude, 0.1, 1.0 / 3.0,
        ]
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            values.append(Double(Int64(bitPattern: seed) >> Int64(seed % 63)))
            values.append(Double(bitPattern: seed))
        }
        for value in values where !value.isNaN {
            #expect(formatDouble(value) == formatWithC("%.17g", value), "\(value)")
        }
    }

    /// Binary fractions with few decimal places (1.5, 0.25, 1234.125) are written without
    /// printf: they must agree with it to the byte, as must their near misses.
    @Test func shortBinaryFractionsMatchPrintf() {
        var values: [Double] = [0.00390625, -0.00390625, 0.001953125, 1e-4, 0.1, 0.3, 2.675, 1e-5, 4503599627370495.5]
        var seed: UInt64 = 0x2545_F491_4F6C_DD1D
        for _ in 0..<4000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let places = Int(seed % 11)  // n / 2^places, 0 to 10 (9 and 10 miss the fast path)
            let units = Int64(bitPattern: seed >> 3) >> Int64((seed >> 59) * 4 % 60)
            let value = Double(units) / Double(1 << places)
            values.append(value)
            values.append(value.nextUp)
            values.append(value * 10 + 0.1)
        }
        for value in values where value.isFinite {
            #expect(formatDouble(value) == formatWithC("%.17g", value), "\(value)")
        }
    }

    @Test func specialValuesAreSpelledAsRedisSpellsThem() {
        #expect(formatDouble(-0.0) == "-0")
        #expect(formatDouble(.infinity) == "inf")
        #expect(formatDouble(-.infinity) == "-inf")
    }

    @Test func repliesCarryTheDigits() {
        var resp2 = ReplyWriter(buffer: ByteBuffer(), version: .resp2)
        resp2.double(1_700_000_000_000)
        resp2.double(0.25)
        #expect(String(buffer: resp2.buffer) == "$13\r\n1700000000000\r\n$4\r\n0.25\r\n")
        var resp3 = ReplyWriter(buffer: ByteBuffer(), version: .resp3)
        resp3.double(-2)
        #expect(String(buffer: resp3.buffer) == ",-2\r\n")
    }
}
