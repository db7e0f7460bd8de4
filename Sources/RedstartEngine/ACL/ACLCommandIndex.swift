// Every command and subcommand numbered for the selectors' command bitmaps, in
// the command table's order (which is the order ACL GETUSER's single-command
// rules and ACL CAT follow), with the commands of each ACL category listed once.

/// The commands an ACL rule can name, by number.
final class ACLCommandIndex {
    /// Commands and subcommands by ACL id: each top-level command followed by its subcommands.
    let specs: [CommandSpec]
    /// Top-level commands in table order.
    let topLevel: [CommandSpec]
    /// 64-bit words in a command bitmap.
    let wordCount: Int
    /// For each category (in `ACLCategories.names` order), the ids of its commands.
    let idsByCategory: [[Int]]
    private let table: CommandTable

    init(table: CommandTable) {
        self.table = table
        var specs: [CommandSpec] = []
        for spec in table.commands {
            spec.aclID = specs.count
            specs.append(spec)
            for sub in spec.subcommands {
                sub.aclID = specs.count
                specs.append(sub)
            }
        }
        self.specs = specs
        self.topLevel = table.commands
        self.wordCount = (specs.count + 63) / 64
        self.idsByCategory = ACLCategories.names.map { category, _ in
            specs.filter { $0.aclCategories.contains(category) }.map(\.aclID)
        }
    }

    /// The command or subcommand an ACL rule names (`get`, `config|get`), in any case.
    func command(named name: String) -> CommandSpec? {
        table.command(named: name)
    }

    /// The category named `name` (any case), with its position in `ACLCategories.names`.
    static func category(named name: String) -> (ACLCategories, Int)? {
        let lowered = name.lowercased()
        for (position, entry) in ACLCategories.names.enumerated() where entry.1 == lowered {
            return (entry.0, position)
        }
        return nil
    }
}
