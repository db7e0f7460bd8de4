// One topic of the interactive help, as redis-cli 7.0 builds them from COMMAND DOCS: a
// command ("GET"), a subcommand ("CONFIG GET", its words upper-cased) or a group
// ("@string"). Commands carry what `help <command>` prints and what hints are made of.

struct HelpEntry {
    enum Kind {
        case command, group
    }

    var kind: Kind
    /// The words that name it, upper-cased (`["CONFIG", "GET"]`), or `["@string"]`.
    var words: [String]
    var summary: String?
    var since: String?
    var group: String?
    var arguments: [CommandArgument] = []

    /// The words joined by a space: what help lists and completion offers.
    var fullName: String { words.joined(separator: " ") }

    /// The argument syntax after the name (`key value [NX|XX] ...`); empty when none.
    var syntax: String { arguments.map(\.syntax).joined(separator: " ") }

    /// A command (or subcommand, when `words` has two) from its COMMAND DOCS map.
    init(words: [String], docs: [(key: String, value: CLIReply)]) {
        kind = .command
        self.words = words
        for (key, value) in docs {
            switch key {
            case "summary": summary = value.text
            case "since": since = value.text
            case "group": group = value.text
            case "arguments": arguments = (value.elements ?? []).compactMap(CommandArgument.init)
            default: break
            }
        }
    }

    /// A group topic (`@string`).
    init(group name: String) {
        kind = .group
        words = ["@" + name]
    }
}
