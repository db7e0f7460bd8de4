// How many terminal columns text takes, without the C locale: combining marks take
// none, East Asian wide and fullwidth characters and emoji shown as emoji take two,
// everything else one. The wide ranges are the main blocks of Unicode's East Asian
// Width property (W and F); rarer wide characters count as one column.

enum DisplayWidth {
    /// The columns `character` takes (a grapheme cluster: its widest scalar).
    static func of(_ character: Character) -> Int {
        if character.isASCII { return 1 }
        var widest = 0
        for scalar in character.unicodeScalars {
            widest = max(widest, of(scalar))
        }
        return max(widest, 1)
    }

    /// The columns `text` takes.
    static func of(_ text: String) -> Int {
        text.reduce(0) { $0 + of($1) }
    }

    private static func of(_ scalar: Unicode.Scalar) -> Int {
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        if scalar.properties.isEmojiPresentation { return 2 }
        return wideRanges.contains { $0.contains(scalar.value) } ? 2 : 1
    }

    private static let wideRanges: [ClosedRange<UInt32>] = [
        0x1100...0x115F,  // Hangul Jamo initials
        0x2E80...0x303E,  // CJK radicals, punctuation
        0x3041...0x33FF,  // kana, CJK compatibility
        0x3400...0x4DBF,  // CJK extension A
        0x4E00...0x9FFF,  // CJK unified ideographs
        0xA000...0xA4CF,  // Yi
        0xAC00...0xD7A3,  // Hangul syllables
        0xF900...0xFAFF,  // CJK compatibility ideographs
        0xFE30...0xFE4F,  // CJK compatibility forms
        0xFF00...0xFF60,  // fullwidth forms
        0xFFE0...0xFFE6,
        0x1F300...0x1F64F,  // pictographs, emoticons
        0x1F900...0x1F9FF,
        0x20000...0x3FFFD,  // CJK extensions B and later
    ]
}
