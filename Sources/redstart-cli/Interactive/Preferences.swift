// The interactive mode's preferences, set by `:set hints` / `:set nohints` at the
// prompt or by the same lines in the preferences file (read at start when standard
// input is a terminal). Messages for anything else are redis-cli's, with the file's
// name in front of those that come from the file.
import Glibc
import RedstartRESP

struct Preferences {
    var showsHints = true

    /// Applies one `:...` command; `fromFile` marks lines of the preferences file.
    mutating func apply(_ words: [String], fromFile: Bool) {
        let origin = fromFile ? ".redstartclirc: " : ""
        if words[0].caseInsensitiveEquals(":set") && words.count >= 2 {
            if words[1].caseInsensitiveEquals("hints") {
                showsHints = true
            } else if words[1].caseInsensitiveEquals("nohints") {
                showsHints = false
            } else {
                CLIOutput.write("\(origin)unknown redstart-cli preference '\(words[1])'\n")
            }
        } else {
            CLIOutput.write("\(origin)unknown redstart-cli internal command '\(words[0])'\n")
        }
    }

    /// Applies every line of the preferences file, if there is one.
    mutating func load() {
        guard let path = DotFiles.preferences, let file = fopen(path, "r") else { return }
        defer { fclose(file) }
        var line: UnsafeMutablePointer<CChar>?
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let bytes = UnsafeRawBufferPointer(start: line, count: strlen(line))
            guard let words = splitInlineArguments(bytes), !words.isEmpty else { continue }
            apply(words.map { String(decoding: $0, as: UTF8.self) }, fromFile: true)
        }
        CLIOutput.flush()
    }
}
