// TAB completion's candidates, as redis-cli 7.0 offers them: every command or
// subcommand name ("CONFIG GET") that the whole line typed so far begins, ignoring
// case, in the catalog's order; after "help " also the group topics ("@string"), with
// the "help " part kept as typed.

enum CommandCompletion {
    static func candidates(for line: String, catalog: CommandCatalog) -> [String] {
        var prefix = ""
        var typed = line
        var includesGroups = false
        if line.hasCaseInsensitivePrefix("help ") {
            // "help" and the spaces after it stay as typed.
            let rest = line.utf8.dropFirst(5).drop { $0 == 0x20 || ($0 >= 0x09 && $0 <= 0x0D) }
            prefix = String(decoding: line.utf8[..<rest.startIndex], as: UTF8.self)
            typed = String(decoding: rest, as: UTF8.self)
            includesGroups = true
        }
        return catalog.entries.compactMap { entry in
            guard entry.kind == .command || includesGroups else { return nil }
            return entry.fullName.hasCaseInsensitivePrefix(typed) ? prefix + entry.fullName : nil
        }
    }
}
