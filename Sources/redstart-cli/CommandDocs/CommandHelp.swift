// What `help` prints, in redis-cli 7.0's exact bytes (escape codes and "\r\n" included,
// whether or not stdout is a terminal):
// - `help` alone: the intro (our name and version, the help topics, the preferences);
// - `help <words>`: every command whose first words are <words> (`help config` lists
//   CONFIG and all its subcommands), each as name, syntax, summary, since and group;
// - `help @<group>`: every command of the group, without the group line;
// and a final "\r\n" after any list, even an empty one.

enum CommandHelp {
    /// The text for `help` followed by `topic` (the words after it).
    static func text(for topic: [String], catalog: CommandCatalog) -> String {
        guard let first = topic.first else { return intro }
        var out = ""
        if first.hasPrefix("@") {
            let group = String(first.dropFirst())
            for entry in catalog.commands where entry.group.map({ $0.caseInsensitiveEquals(group) }) ?? false {
                out += describe(entry, showingGroup: false)
            }
        } else {
            for entry in catalog.commands where topic.count <= entry.words.count {
                if zip(topic, entry.words).allSatisfy({ $0.caseInsensitiveEquals($1) }) {
                    out += describe(entry, showingGroup: true)
                }
            }
        }
        return out + "\r\n"
    }

    /// One command: bold name, grey syntax, yellow labels.
    static func describe(_ entry: HelpEntry, showingGroup: Bool) -> String {
        // A missing field prints as C's "%s" prints a null pointer.
        var out = "\r\n  \u{1B}[1m\(entry.fullName)\u{1B}[0m \u{1B}[90m\(entry.syntax)\u{1B}[0m\r\n"
        out += "  \u{1B}[33msummary:\u{1B}[0m \(entry.summary ?? "(null)")\r\n"
        if let since = entry.since {
            out += "  \u{1B}[33msince:\u{1B}[0m \(since)\r\n"
        }
        if showingGroup {
            out += "  \u{1B}[33mgroup:\u{1B}[0m \(entry.group ?? "(null)")\r\n"
        }
        return out
    }

    /// `help` with no topic.
    static let intro = """
        redstart-cli \(CLIUsage.version)
        To get help about Redis commands type:
              "help @<group>" to get a list of commands in <group>
              "help <command>" for help on <command>
              "help <tab>" to get a list of possible help topics
              "quit" to exit

        To set redstart-cli preferences:
              ":set hints" enable online hints
              ":set nohints" disable online hints
        Set your preferences in ~/.redstartclirc (or the file REDISCLI_RCFILE names)

        """
}
