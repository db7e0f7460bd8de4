// The lines entered, oldest first, as linenoise keeps them: at most 100, a line equal
// to the one before it is not added again, and the file is one line per entry,
// rewritten in full after every addition (created with mode 0600, since commands can
// hold secrets). Which commands are never recorded is the session's decision
// (SensitiveCommands).
import Glibc

struct CommandHistory {
    static let maximumLength = 100

    private(set) var entries: [String] = []

    mutating func add(_ line: String) {
        guard entries.last != line else { return }
        entries.append(line)
        if entries.count > Self.maximumLength { entries.removeFirst(entries.count - Self.maximumLength) }
    }

    /// The history in `path`; empty when the file cannot be read.
    static func load(from path: String) -> CommandHistory {
        var history = CommandHistory()
        guard let file = fopen(path, "r") else { return history }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            var text = String(cString: line)
            while text.hasSuffix("\n") || text.hasSuffix("\r") { text.removeLast() }
            history.add(text)
        }
        return history
    }

    /// Writes every entry to `path` (failures are ignored, as linenoise ignores them).
    func save(to path: String) {
        let oldMask = umask(0o177)
        defer { umask(oldMask) }
        guard let file = fopen(path, "w") else { return }
        defer { fclose(file) }
        // The file may predate us with wider permissions: narrow them too.
        chmod(path, 0o600)
        for entry in entries {
            fputs(entry + "\n", file)
        }
    }
}
