// Splits an inline request line into arguments with the quoting rules of
// Redis's sdssplitargs: "double quotes" with \n \r \t \b \a \xHH escapes,
// 'single quotes' with only \' escaped, and a closing quote must be followed by
// a space or the end of the line.

/// The arguments of an inline request line, or nil for unbalanced quotes.
public func splitInlineArguments(_ line: UnsafeRawBufferPointer) -> [[UInt8]]? {
    var words: [[UInt8]] = []
    var index = 0
    let end = line.firstIndex(of: 0) ?? line.count  // C strings stop at NUL
    @inline(__always) func byte(_ i: Int) -> UInt8 { i < end ? line[i] : 0 }
    @inline(__always) func isSpace(_ b: UInt8) -> Bool {
        b == 0x20 || (b >= 0x09 && b <= 0x0D)
    }
    @inline(__always) func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return b - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return b - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return b - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
    while true {
        while index < end && isSpace(line[index]) { index += 1 }
        if index >= end { return words }
        var current: [UInt8] = []
        var inDoubleQuotes = false
        var inSingleQuotes = false
        var done = false
        while !done {
            let c = byte(index)
            if inDoubleQuotes {
                if c == UInt8(ascii: "\\") && byte(index + 1) == UInt8(ascii: "x"),
                    let high = hexValue(byte(index + 2)), let low = hexValue(byte(index + 3))
                {
                    current.append(high << 4 | low)
                    index += 3
                } else if c == UInt8(ascii: "\\") && byte(index + 1) != 0 {
                    index += 1
                    switch byte(index) {
                    case UInt8(ascii: "n"): current.append(0x0A)
                    case UInt8(ascii: "r"): current.append(0x0D)
                    case UInt8(ascii: "t"): current.append(0x09)
                    case UInt8(ascii: "b"): current.append(0x08)
                    case UInt8(ascii: "a"): current.append(0x07)
                    default: current.append(byte(index))
                    }
                } else if c == UInt8(ascii: "\"") {
                    if byte(index + 1) != 0 && !isSpace(byte(index + 1)) { return nil }
                    done = true
                } else if c == 0 {
                    return nil
                } else {
                    current.append(c)
                }
            } else if inSingleQuotes {
                if c == UInt8(ascii: "\\") && byte(index + 1) == UInt8(ascii: "'") {
                    index += 1
                    current.append(UInt8(ascii: "'"))
                } else if c == UInt8(ascii: "'") {
                    if byte(index + 1) != 0 && !isSpace(byte(index + 1)) { return nil }
                    done = true
                } else if c == 0 {
                    return nil
                } else {
                    current.append(c)
                }
            } else {
                switch c {
                case 0x20, 0x0A, 0x0D, 0x09, 0:
                    done = true
                case UInt8(ascii: "\""):
                    inDoubleQuotes = true
                case UInt8(ascii: "'"):
                    inSingleQuotes = true
                default:
                    current.append(c)
                }
            }
            if index < end { index += 1 }
        }
        words.append(current)
    }
}
