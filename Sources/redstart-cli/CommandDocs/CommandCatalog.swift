// Every help topic the connected server describes: one entry per command and
// subcommand from its COMMAND DOCS reply (which Redis 7 and Redstart both answer, as a
// map in RESP3 or a flat array in RESP2), plus one per command group, sorted by name
// byte-wise as redis-cli sorts them. Help, hints and TAB completion all read from here;
// a server without COMMAND DOCS leaves the catalog empty (no help, no hints).

struct CommandCatalog {
    private(set) var entries: [HelpEntry] = []

    /// An empty catalog.
    init() {}

    /// The catalog described by a COMMAND DOCS reply.
    init(docs reply: CLIReply) {
        var groups = Set<String>()
        for (name, value) in reply.keyValuePairs ?? [] {
            guard let docs = value.keyValuePairs else { continue }
            let command = HelpEntry(words: [name.uppercased()], docs: docs)
            entries.append(command)
            if let group = command.group { groups.insert(group) }
            for (key, subcommands) in docs where key == "subcommands" {
                for (fullName, subDocs) in subcommands.keyValuePairs ?? [] {
                    guard let subDocs = subDocs.keyValuePairs else { continue }
                    // Subcommands are named "config|get".
                    let sub = fullName.split(separator: "|", maxSplits: 1).last.map(String.init) ?? fullName
                    let entry = HelpEntry(words: [name.uppercased(), sub.uppercased()], docs: subDocs)
                    entries.append(entry)
                    if let group = entry.group { groups.insert(group) }
                }
            }
        }
        entries += groups.map { HelpEntry(group: $0) }
        entries.sort { Array($0.fullName.utf8).lexicographicallyPrecedes(Array($1.fullName.utf8)) }
    }

    /// Asks the server for its COMMAND DOCS; an empty catalog if it cannot answer.
    static func fetch(from connection: CLIConnection) -> CommandCatalog {
        do {
            try connection.send([Array("COMMAND".utf8), Array("DOCS".utf8)])
            let reply = try connection.readReply()
            if reply.isError { return CommandCatalog() }
            return CommandCatalog(docs: reply)
        } catch {
            return CommandCatalog()
        }
    }

    var isEmpty: Bool { entries.isEmpty }

    /// The commands and subcommands.
    var commands: some Sequence<HelpEntry> { entries.lazy.filter { $0.kind == .command } }

    /// The command whose name is the longest prefix of `words` (compared case-
    /// insensitively): "config get x" finds CONFIG GET, "config" finds CONFIG.
    func command(startingWith words: [String]) -> HelpEntry? {
        var best: HelpEntry?
        for entry in commands where entry.words.count <= words.count {
            guard zip(entry.words, words).allSatisfy({ $0.caseInsensitiveEquals($1) }) else { continue }
            if entry.words.count > (best?.words.count ?? 0) { best = entry }
        }
        return best
    }
}
