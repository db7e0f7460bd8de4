// Integer and double formatting for replies, without Foundation: integers are
// written digit by digit into the output, doubles go through C's `%.17g`
// (what Redis 7.0 uses for doubles in replies).
import CRedstartShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes `value` in decimal into `out` (at least 20 bytes) and returns the byte count.
@inlinable
public func writeDecimal(_ value: Int64, into out: UnsafeMutableRawBufferPointer) -> Int {
    if value >= 0 && value < 10 {
        out[0] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: value)
        return 1
    }
    var magnitude = value.magnitude
    var scratch: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of digits, filled from the end
    return withUnsafeMutableBytes(of: &scratch) { digits in
        var position = digits.count
        repeat {
            position -= 1
            digits[position] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: magnitude % 10)
            magnitude /= 10
        } while magnitude > 0
        var count = 0
        if value < 0 {
            out[0] = UInt8(ascii: "-")
            count = 1
        }
        let length = digits.count - position
        out.baseAddress!.advanced(by: count).copyMemory(from: digits.baseAddress!.advanced(by: position), byteCount: length)
        return count + length
    }
}

/// The decimal digits of an integer, on the stack.
public struct DecimalDigits {
    private var storage: (UInt64, UInt64, UInt64) = (0, 0, 0)
    private var count = 0

    public init(_ value: Int64) {
        count = withUnsafeMutableBytes(of: &storage) { writeDecimal(value, into: $0) }
    }

    public mutating func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let count = self.count
        return try withUnsafeBytes(of: &storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}

/// Formats `value` with C's `%.17g`, with `inf`/`-inf` spelled as Redis spells them.
public func formatDouble(_ value: Double) -> String {
    var digits = DoubleDigits(value)
    return digits.withBytes { String(decoding: $0, as: UTF8.self) }
}

/// A double as `%.17g` writes it (`inf`/`-inf` as Redis spells them), on the stack. An
/// integer below 2^53 is written digit by digit, as `%.17g` prints it (no exponent below
/// 1e17, `-0` kept): scores are often integers (counts, millisecond timestamps), and
/// printf's float path cost ~6% of the server's CPU in ZPOPMIN at pipeline depth 16.
public struct DoubleDigits {
    private var storage: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    private var count = 0

    public init(_ value: Double) {
        count = withUnsafeMutableBytes(of: &storage) { out in
            if value.isInfinite {
                let text: StaticString = value > 0 ? "inf" : "-inf"
                out.baseAddress!.copyMemory(from: text.utf8Start, byteCount: text.utf8CodeUnitCount)
                return text.utf8CodeUnitCount
            }
            if value.magnitude < 9_007_199_254_740_992, value == value.rounded(.towardZero) {
                if value == 0 && value.sign == .minus {
                    out[0] = UInt8(ascii: "-")
                    out[1] = UInt8(ascii: "0")
                    return 2
                }
                return writeDecimal(Int64(value), into: out)
            }
            return max(0, Int(redstart_format_g17(value, out.baseAddress!.assumingMemoryBound(to: CChar.self))))
        }
    }

    public mutating func withBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        let count = self.count
        return try withUnsafeBytes(of: &storage) { try body(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
    }
}

/// Formats one double with a printf format.
public func formatWithC(_ format: String, _ value: Double) -> String {
    var scratch = [CChar](repeating: 0, count: 512)
    let written = withVaList([value]) { arguments in
        scratch.withUnsafeMutableBufferPointer { out in
            vsnprintf(out.baseAddress, out.count, format, arguments)
        }
    }
    return scratch.withUnsafeBufferPointer { chars in
        let length = max(0, min(Int(written), chars.count - 1))
        return String(decoding: UnsafeRawBufferPointer(start: chars.baseAddress, count: length), as: UTF8.self)
    }
}
