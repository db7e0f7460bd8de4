// Redis's glob-style matching (KEYS, SCAN MATCH, CONFIG GET, PSUBSCRIBE):
// `*` any run, `?` one byte, `[abc]` `[^abc]` `[a-z]` classes (a reversed
// range matches too), `\x` escapes. Every token but `*` matches exactly one
// byte, so backtracking to the last `*` is enough: O(pattern x string).

/// True when `string` matches the glob `pattern`.
public func globMatch(pattern: [UInt8], string: [UInt8], ignoreCase: Bool = false) -> Bool {
    pattern.withUnsafeBytes { p in
        string.withUnsafeBytes { s in globMatch(pattern: p, string: s, ignoreCase: ignoreCase) }
    }
}

/// True when `string` matches the glob `pattern`.
public func globMatch(pattern: UnsafeRawBufferPointer, string: UnsafeRawBufferPointer, ignoreCase: Bool = false) -> Bool {
    @inline(__always) func fold(_ byte: UInt8) -> UInt8 {
        ignoreCase && byte >= 65 && byte <= 90 ? byte | 0x20 : byte
    }
    var p = 0
    var s = 0
    var starP = -1  // pattern index just after the last `*`
    var starS = 0  // string index that `*` is currently extended to
    while s < string.count {
        if p < pattern.count {
            let token = pattern[p]
            if token == UInt8(ascii: "*") {
                while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
                if p == pattern.count { return true }
                starP = p
                starS = s
                continue
            }
            // One-byte tokens: find the token's length and whether it matches.
            let (length, matches) = matchOne(pattern, at: p, byte: string[s], fold: fold)
            if matches {
                p += length
                s += 1
                continue
            }
        }
        // Mismatch: let the last `*` swallow one more byte, or fail.
        guard starP >= 0 else { return false }
        starS += 1
        s = starS
        p = starP
    }
    while p < pattern.count && pattern[p] == UInt8(ascii: "*") { p += 1 }
    return p == pattern.count
}

/// Matches the one-byte token at `pattern[p]` against `byte`: (token length, matched).
private func matchOne(
    _ pattern: UnsafeRawBufferPointer, at p: Int, byte: UInt8, fold: (UInt8) -> UInt8
) -> (Int, Bool) {
    switch pattern[p] {
    case UInt8(ascii: "?"):
        return (1, true)
    case UInt8(ascii: "\\") where p + 1 < pattern.count:
        return (2, fold(pattern[p + 1]) == fold(byte))
    case UInt8(ascii: "["):
        var i = p + 1
        let negate = i < pattern.count && pattern[i] == UInt8(ascii: "^")
        if negate { i += 1 }
        var matched = false
        while i < pattern.count && pattern[i] != UInt8(ascii: "]") {
            if pattern[i] == UInt8(ascii: "\\") && i + 1 < pattern.count {
                if fold(pattern[i + 1]) == fold(byte) { matched = true }
                i += 2
            } else if i + 2 < pattern.count && pattern[i + 1] == UInt8(ascii: "-") {
                var low = fold(pattern[i])
                var high = fold(pattern[i + 2])
                if low > high { swap(&low, &high) }
                let c = fold(byte)
                if c >= low && c <= high { matched = true }
                i += 3
            } else {
                if fold(pattern[i]) == fold(byte) { matched = true }
                i += 1
            }
        }
        // An unterminated class runs to the end of the pattern, as in Redis.
        let end = i < pattern.count ? i + 1 : i
        return (end - p, matched != negate)
    default:
        return (1, fold(pattern[p]) == fold(byte))
    }
}
