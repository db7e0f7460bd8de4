// Reads one line from the terminal with editing, history, hints and TAB completion:
// our own small linenoise. Standard input is in raw mode only while a line is read,
// so command output (and Ctrl-C while a command runs) behave as in a cooked terminal.
// - Keys: see EditKey; Up/Down (Ctrl-P/N) walk the history, the line being typed kept
//   as its newest entry; edits to recalled lines last until the line is entered.
// - TAB (linenoise's behaviour): shows the first candidate, TAB again the next, after
//   the last the line as typed (with a beep); Escape returns to the line as typed; any
//   other key accepts the candidate shown and then acts as usual.
// - Ctrl-R: reverse search through the history; Enter or an editing key keeps the
//   match, Ctrl-G or Escape drops it.
// - Ctrl-C: `.interrupted`; Ctrl-D on an empty line or end of input: `.endOfInput`.
// After Enter the line is redrawn without its hint and the cursor goes to a new row.

/// How reading a line ended.
enum LineInput: Equatable {
    case line(String)
    case endOfInput
    case interrupted
}

final class LineEditor {
    var history = CommandHistory()
    /// The grey text shown after the line (nil: none).
    var hints: ((String) -> String?)?
    /// The lines TAB offers for the line typed so far.
    var completions: ((String) -> [String])?

    private var prompt = ""
    private var layout = ScreenLayout()
    private var decoder = KeyDecoder()

    /// Reads a line after `prompt`.
    func readLine(prompt: String) -> LineInput {
        Terminal.enableRawMode()
        defer { Terminal.disableRawMode() }
        self.prompt = prompt
        layout = ScreenLayout()
        decoder = KeyDecoder()
        var buffer = EditBuffer()
        var recalled = history.entries + [""]
        var recalledIndex = recalled.count - 1
        refresh(buffer)

        var pending: EditKey?
        while true {
            guard let key = pending ?? nextKey() else {
                finish(buffer)
                return .endOfInput
            }
            pending = nil
            switch key {
            case .enter:
                finish(buffer)
                return .line(buffer.text)
            case .interrupt:
                finish(buffer)
                return .interrupted
            case .deleteOrEndOfInput:
                if buffer.isEmpty {
                    finish(buffer)
                    return .endOfInput
                }
                buffer.deleteForward()
            case .tab:
                guard let (shown, next) = complete(buffer) else {
                    finish(buffer)
                    return .endOfInput
                }
                buffer = shown
                pending = next
                if next != nil { continue }
            case .searchBackward:
                guard let (found, next) = search(buffer) else {
                    finish(buffer)
                    return .endOfInput
                }
                buffer = found
                pending = next
                if next != nil { continue }
            case .historyPrevious, .historyNext:
                let target = recalledIndex + (key == .historyPrevious ? -1 : 1)
                guard recalled.indices.contains(target) else { break }
                recalled[recalledIndex] = buffer.text
                recalledIndex = target
                buffer = EditBuffer(recalled[target])
            case .clearScreen:
                write("\u{1B}[H\u{1B}[2J")
                layout = ScreenLayout()
            case .character(let character): buffer.insert(character)
            case .backspace: buffer.deleteBackward()
            case .delete: buffer.deleteForward()
            case .left: buffer.moveLeft()
            case .right: buffer.moveRight()
            case .home: buffer.moveHome()
            case .end: buffer.moveEnd()
            case .wordLeft: buffer.moveWordLeft()
            case .wordRight: buffer.moveWordRight()
            case .killLine: buffer.killLine()
            case .killToEnd: buffer.killToEnd()
            case .deleteWordBackward: buffer.deleteWordBackward()
            case .transpose: buffer.transpose()
            case .escape: break
            }
            refresh(buffer)
        }
    }

    /// TAB's cycle; the line to keep and the key that ended the cycle (nil after
    /// Escape or when there was nothing to offer). nil at end of input.
    private func complete(_ buffer: EditBuffer) -> (EditBuffer, EditKey?)? {
        let candidates = completions?(buffer.text) ?? []
        if candidates.isEmpty {
            write("\u{07}")
            return (buffer, nil)
        }
        var index = 0
        while true {
            if index < candidates.count {
                refresh(EditBuffer(candidates[index]))
            } else {
                refresh(buffer)
                write("\u{07}")
            }
            guard let key = nextKey() else { return nil }
            switch key {
            case .tab:
                index = (index + 1) % (candidates.count + 1)
            case .escape:
                if index < candidates.count { refresh(buffer) }
                return (buffer, nil)
            default:
                return (index < candidates.count ? EditBuffer(candidates[index]) : buffer, key)
            }
        }
    }

    /// Ctrl-R's incremental search, newest entries first; Ctrl-R again finds an older
    /// match. Returns the line to keep and the key to act on next; nil at end of input.
    private func search(_ buffer: EditBuffer) -> (EditBuffer, EditKey?)? {
        var query = ""
        let newest = history.entries.count - 1
        var match: String?
        func find(from index: Int) -> Int? {
            guard !query.isEmpty, index >= 0 else { return nil }
            return (0...index).reversed().first { history.entries[$0].contains(query) }
        }
        var matchIndex: Int?
        while true {
            let shown = "(reverse-i-search)`\(query)': "
            let savedPrompt = prompt
            prompt = shown
            refresh(EditBuffer(match ?? ""), showingHint: false)
            prompt = savedPrompt
            guard let key = nextKey() else { return nil }
            switch key {
            case .character(let character):
                query.append(character)
                matchIndex = find(from: matchIndex ?? newest)
            case .backspace:
                if !query.isEmpty { query.removeLast() }
                matchIndex = find(from: newest)
            case .searchBackward:
                if let current = matchIndex { matchIndex = find(from: current - 1) ?? current }
            case .escape, .interrupt:
                refresh(buffer)
                return (buffer, nil)
            case .enter:
                return (EditBuffer(match ?? buffer.text), .enter)
            default:
                let kept = match.map { EditBuffer($0) } ?? buffer
                refresh(kept)
                return (kept, key)
            }
            match = matchIndex.map { history.entries[$0] }
        }
    }

    /// The next key; nil at end of input.
    private func nextKey() -> EditKey? {
        while true {
            if decoder.isWaitingAfterEscape && !Terminal.waitForInput(milliseconds: 50) {
                if let key = decoder.timeOut() { return key }
            }
            guard let byte = Terminal.readByte() else { return nil }
            if let key = decoder.feed(byte) { return key }
        }
    }

    private func refresh(_ buffer: EditBuffer, showingHint: Bool = true) {
        let hint = showingHint ? hints?(buffer.text) : nil
        write(
            LineRenderer.render(prompt: prompt, buffer: buffer, hint: hint, columns: Terminal.columns, layout: &layout)
        )
    }

    /// Redraws the line without its hint, cursor at the end, and starts a new row.
    private func finish(_ buffer: EditBuffer) {
        var atEnd = buffer
        atEnd.moveEnd()
        refresh(atEnd, showingHint: false)
        write("\r\n")
    }

    private func write(_ text: String) {
        CLIOutput.write(text)
        CLIOutput.flush()
    }
}
