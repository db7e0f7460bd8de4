// Where the interactive mode's lines come from. On a terminal: the line editor, with
// hints, completion and the history file. Otherwise (a pipe or file on standard input,
// as in `redstart-cli < commands.txt`): one line per command, read as bytes up to
// "\n" with no prompt and no history, the last line ending at end of input even
// without "\n", as linenoise reads a non-terminal. A terminal that cannot be edited
// on (TERM dumb, cons25 or emacs, as linenoise judges) gets the prompt and plain lines.
import Glibc

protocol CommandLines {
    /// The next line (without its "\n"); nil at the end (Ctrl-D, Ctrl-C, end of input).
    mutating func next(prompt: String) -> [UInt8]?
    /// Remembers a line entered (the history, when there is one).
    mutating func record(_ line: [UInt8])
}

/// Lines from the terminal through the line editor.
struct TerminalLines: CommandLines {
    let editor: LineEditor
    let historyFile: String?

    init(editor: LineEditor) {
        self.editor = editor
        historyFile = DotFiles.history
        if let historyFile { editor.history = CommandHistory.load(from: historyFile) }
    }

    mutating func next(prompt: String) -> [UInt8]? {
        switch editor.readLine(prompt: prompt) {
        case .line(let text): return Array(text.utf8)
        case .endOfInput, .interrupted: return nil
        }
    }

    mutating func record(_ line: [UInt8]) {
        editor.history.add(String(decoding: line, as: UTF8.self))
        if let historyFile { editor.history.save(to: historyFile) }
    }
}

/// Lines read from a standard input that is not a terminal (or one too plain to edit
/// on, where the prompt is still shown).
struct PipedLines: CommandLines {
    let showsPrompt: Bool
    private var buffer: [UInt8] = []
    private var position = 0
    private var isAtEnd = false

    init(showsPrompt: Bool = false) {
        self.showsPrompt = showsPrompt
    }

    /// Whether TERM names a terminal linenoise does not edit on.
    static var terminalIsTooPlain: Bool {
        guard let term = getenv("TERM") else { return false }
        return ["dumb", "cons25", "emacs"].contains(String(cString: term).lowercased())
    }

    mutating func next(prompt: String) -> [UInt8]? {
        if showsPrompt {
            CLIOutput.write(prompt)
            CLIOutput.flush()
        }
        while true {
            if let newline = buffer[position...].firstIndex(of: 0x0A) {
                defer { position = newline + 1 }
                var line = Array(buffer[position..<newline])
                if showsPrompt && line.last == 0x0D { line.removeLast() }  // a terminal's CR
                return line
            }
            if isAtEnd {
                guard position < buffer.count else { return nil }
                defer { position = buffer.count }
                return Array(buffer[position...])
            }
            fill()
        }
    }

    mutating func record(_ line: [UInt8]) {}

    private mutating func fill() {
        buffer.removeFirst(position)
        position = 0
        var chunk = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(STDIN_FILENO, $0.baseAddress, $0.count) }
            if count < 0 && errno == EINTR { continue }
            if count <= 0 {
                isAtEnd = true
            } else {
                buffer.append(contentsOf: chunk[0..<count])
            }
            return
        }
    }
}
