// Draws the prompt, the line and its hint, wrapping over as many terminal rows as the
// line needs (linenoise's multi-line mode), and leaves the cursor where it belongs.
// Every refresh redraws from the prompt's first row: each row of the last drawing is
// erased, bottom up (erasing rows rather than "everything below" keeps terminals such
// as tmux from pushing a cleared screen into their scrollback), then the prompt and
// line are written and the cursor moved back where it belongs. The
// hint (grey) is shown only when the prompt and line fit on one row, cut to what is
// left of it, so it never wraps. A character that does not fit at the end of a row
// starts the next one, as terminals wrap wide characters.

/// What the last refresh drew: its rows, and the row it left the cursor on (counted
/// from the prompt's first row).
struct ScreenLayout {
    var rows = 1
    var cursorRow = 0
}

enum LineRenderer {
    static let hintStart = "\u{1B}[0;90;49m"
    static let hintEnd = "\u{1B}[0m"

    /// The bytes that redraw `buffer` after `prompt`; updates `layout`.
    static func render(
        prompt: String,
        buffer: EditBuffer,
        hint: String?,
        columns: Int,
        layout: inout ScreenLayout
    ) -> String {
        let columns = max(columns, 1)
        var out = ""
        let below = layout.rows - 1 - layout.cursorRow
        if below > 0 { out += "\u{1B}[\(below)B" }
        for _ in 0..<max(0, layout.rows - 1) { out += "\r\u{1B}[0K\u{1B}[1A" }
        out += "\r\u{1B}[0K"
        out += prompt
        out += buffer.text

        var position = Position()
        for character in prompt { position.advance(by: DisplayWidth.of(character), columns: columns) }
        var cursor = position
        for (index, character) in buffer.characters.enumerated() {
            if index == buffer.cursor { cursor = position }
            position.advance(by: DisplayWidth.of(character), columns: columns)
        }
        if buffer.cursor == buffer.characters.count { cursor = position }
        let end = position

        if let hint, !hint.isEmpty, end.row == 0, end.column < columns {
            var room = columns - end.column
            var shown = ""
            for character in hint {
                let width = DisplayWidth.of(character)
                guard width <= room else { break }
                shown.append(character)
                room -= width
            }
            out += hintStart + shown + hintEnd
        }

        // The cursor's place: a full last row means the next row's first column.
        let target =
            cursor.column == columns ? (row: cursor.row + 1, column: 0) : (row: cursor.row, column: cursor.column)
        layout.rows = end.row + 1
        if target.row > end.row {
            out += "\r\n"
            layout.rows += 1
        } else {
            if end.row > target.row { out += "\u{1B}[\(end.row - target.row)A" }
            out += "\r"
            if target.column > 0 { out += "\u{1B}[\(target.column)C" }
        }
        layout.cursorRow = target.row
        return out
    }

    /// A place on the screen while laying out text; `column == columns` is the state
    /// after filling a row, before the terminal wraps.
    private struct Position {
        var row = 0
        var column = 0

        mutating func advance(by width: Int, columns: Int) {
            if column + width > columns {
                row += 1
                column = 0
            }
            column += width
        }
    }
}
