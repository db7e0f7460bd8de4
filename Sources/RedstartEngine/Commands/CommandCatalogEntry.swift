// One command's metadata as Redis 7.0.15 sends it, kept as raw RESP3 text.
// The entries live in Generated/GeneratedCommandCatalog.swift (written by
// Scripts/generate-command-catalog.py); CommandCatalog parses them on first use.

/// The COMMAND DOCS and COMMAND INFO metadata of one command or subcommand,
/// each field the exact RESP3 wire encoding of the reference server's reply.
struct CommandCatalogEntry {
    /// The COMMAND DOCS map (summary, since, group, complexity, ..., arguments),
    /// without the "subcommands" entry.
    let docs: String
    /// The key specs (COMMAND INFO element 8); Redis 7.0.15 sends a set of maps.
    let keySpecs: String
    /// The command tips (COMMAND INFO element 7); Redis 7.0.15 sends a set of bulk strings.
    let tips: String
}
