// The keys the line editor acts on, decoded from the bytes a terminal sends in raw mode:
// printable characters (UTF-8 assembled), the control keys of linenoise/readline
// (Ctrl-A/E home/end, Ctrl-B/F left/right, Ctrl-P/N history, Ctrl-H and DEL backspace,
// Ctrl-D delete or end of input, Ctrl-K/U/W kills, Ctrl-T transpose, Ctrl-L clear,
// Ctrl-R search, Ctrl-C interrupt) and the escape sequences of xterm-like terminals
// (arrows, Home/End/Delete in their CSI and SS3 forms, Ctrl-arrows and Alt-B/F for
// words). A lone ESC is only known as the Escape key once no byte follows it quickly,
// so the decoder holds it until the editor calls `timeOut`.

enum EditKey: Equatable {
    case character(Character)
    case enter, tab, escape
    case backspace, delete
    case left, right, home, end, wordLeft, wordRight
    case historyPrevious, historyNext
    /// Ctrl-D: delete under the cursor, or end of input on an empty line.
    case deleteOrEndOfInput
    case interrupt
    case killLine, killToEnd, deleteWordBackward, transpose
    case clearScreen, searchBackward
}

struct KeyDecoder {
    /// Bytes of an escape sequence after its ESC (nil when not in one).
    private var sequence: [UInt8]?
    /// Bytes of a multi-byte UTF-8 character so far.
    private var pendingCharacter: [UInt8] = []
    private var expectedLength = 0

    /// Whether a lone ESC is waiting to learn whether a sequence follows.
    var isWaitingAfterEscape: Bool { sequence == [] }

    /// The key `byte` completes, if any.
    mutating func feed(_ byte: UInt8) -> EditKey? {
        if sequence != nil { return continueSequence(byte) }
        if !pendingCharacter.isEmpty { return continueCharacter(byte) }
        switch byte {
        case 0x01: return .home
        case 0x02: return .left
        case 0x03: return .interrupt
        case 0x04: return .deleteOrEndOfInput
        case 0x05: return .end
        case 0x06: return .right
        case 0x08, 0x7F: return .backspace
        case 0x09: return .tab
        case 0x0A, 0x0D: return .enter
        case 0x0B: return .killToEnd
        case 0x0C: return .clearScreen
        case 0x0E: return .historyNext
        case 0x10: return .historyPrevious
        case 0x12: return .searchBackward
        case 0x14: return .transpose
        case 0x15: return .killLine
        case 0x17: return .deleteWordBackward
        case 0x1B:
            sequence = []
            return nil
        case 0x00..<0x20: return nil
        case 0x20..<0x80: return .character(Character(Unicode.Scalar(byte)))
        default: return startCharacter(byte)
        }
    }

    /// Nothing followed an ESC in time: it was the Escape key.
    mutating func timeOut() -> EditKey? {
        guard isWaitingAfterEscape else { return nil }
        sequence = nil
        return .escape
    }

    private mutating func continueSequence(_ byte: UInt8) -> EditKey? {
        var bytes = sequence!
        bytes.append(byte)
        // ESC [ params final, ESC O final, ESC letter.
        switch bytes[0] {
        case UInt8(ascii: "["):
            guard bytes.count > 1, byte >= 0x40 && byte <= 0x7E else {
                sequence = bytes.count > 16 ? nil : bytes  // give up on absurdly long ones
                return nil
            }
            sequence = nil
            return Self.csi(parameters: String(decoding: bytes[1..<(bytes.count - 1)], as: UTF8.self), final: byte)
        case UInt8(ascii: "O"):
            guard bytes.count == 2 else {
                sequence = bytes
                return nil
            }
            sequence = nil
            return Self.csi(parameters: "", final: byte)
        case UInt8(ascii: "b"):
            sequence = nil
            return .wordLeft
        case UInt8(ascii: "f"):
            sequence = nil
            return .wordRight
        default:
            sequence = nil
            return nil
        }
    }

    /// The key of `ESC [ <parameters> <final>` (or `ESC O <final>`).
    private static func csi(parameters: String, final: UInt8) -> EditKey? {
        // "1;5C": Ctrl (5) or Alt (3) with an arrow moves by words.
        let modified = parameters.hasSuffix(";5") || parameters.hasSuffix(";3")
        switch final {
        case UInt8(ascii: "A"): return .historyPrevious
        case UInt8(ascii: "B"): return .historyNext
        case UInt8(ascii: "C"): return modified ? .wordRight : .right
        case UInt8(ascii: "D"): return modified ? .wordLeft : .left
        case UInt8(ascii: "H"): return .home
        case UInt8(ascii: "F"): return .end
        case UInt8(ascii: "~"):
            switch parameters {
            case "1", "7": return .home
            case "4", "8": return .end
            case "3": return .delete
            default: return nil
            }
        default: return nil
        }
    }

    private mutating func startCharacter(_ byte: UInt8) -> EditKey? {
        switch byte {
        case 0xC2...0xDF: expectedLength = 2
        case 0xE0...0xEF: expectedLength = 3
        case 0xF0...0xF4: expectedLength = 4
        default: return .character("\u{FFFD}")
        }
        pendingCharacter = [byte]
        return nil
    }

    private mutating func continueCharacter(_ byte: UInt8) -> EditKey? {
        guard byte & 0xC0 == 0x80 else {
            // A broken sequence: show the replacement, then read this byte afresh.
            pendingCharacter = []
            let next = feed(byte)
            return next ?? .character("\u{FFFD}")
        }
        pendingCharacter.append(byte)
        guard pendingCharacter.count == expectedLength else { return nil }
        defer { pendingCharacter = [] }
        return .character(String(decoding: pendingCharacter, as: UTF8.self).first ?? "\u{FFFD}")
    }
}
