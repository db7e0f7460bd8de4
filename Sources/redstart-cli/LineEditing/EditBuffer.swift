// The line being edited and the cursor in it, as a value: every editing key is one
// mutating call, so the editor's behaviour can be tested without a terminal. The line
// is kept as Characters (grapheme clusters), so the cursor never splits an "é" or an
// emoji. Word moves and Ctrl-W treat spaces as the only separators, as linenoise does.

struct EditBuffer: Equatable {
    private(set) var characters: [Character] = []
    /// Index in `characters` before which the cursor stands (0...count).
    private(set) var cursor = 0

    init(_ text: String = "") {
        characters = Array(text)
        cursor = characters.count
    }

    var text: String { String(characters) }
    var isEmpty: Bool { characters.isEmpty }

    mutating func insert(_ character: Character) {
        characters.insert(character, at: cursor)
        cursor += 1
    }

    mutating func moveLeft() { cursor = max(0, cursor - 1) }
    mutating func moveRight() { cursor = min(characters.count, cursor + 1) }
    mutating func moveHome() { cursor = 0 }
    mutating func moveEnd() { cursor = characters.count }

    /// To the start of the word before the cursor.
    mutating func moveWordLeft() {
        while cursor > 0 && characters[cursor - 1] == " " { cursor -= 1 }
        while cursor > 0 && characters[cursor - 1] != " " { cursor -= 1 }
    }

    /// To the end of the word after the cursor.
    mutating func moveWordRight() {
        while cursor < characters.count && characters[cursor] == " " { cursor += 1 }
        while cursor < characters.count && characters[cursor] != " " { cursor += 1 }
    }

    mutating func deleteBackward() {
        guard cursor > 0 else { return }
        cursor -= 1
        characters.remove(at: cursor)
    }

    mutating func deleteForward() {
        guard cursor < characters.count else { return }
        characters.remove(at: cursor)
    }

    /// Ctrl-W: the spaces before the cursor, then the word before them.
    mutating func deleteWordBackward() {
        let end = cursor
        moveWordLeft()
        characters.removeSubrange(cursor..<end)
    }

    /// Ctrl-K: from the cursor to the end.
    mutating func killToEnd() {
        characters.removeSubrange(cursor...)
    }

    /// Ctrl-U: the whole line, as linenoise does (not only up to the cursor).
    mutating func killLine() {
        characters = []
        cursor = 0
    }

    /// Ctrl-T: swaps the characters before and at the cursor, and moves right.
    mutating func transpose() {
        guard cursor > 0 && cursor < characters.count else { return }
        characters.swapAt(cursor - 1, cursor)
        if cursor < characters.count - 1 { cursor += 1 }
    }
}
