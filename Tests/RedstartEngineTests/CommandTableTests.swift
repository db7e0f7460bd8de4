// CommandTable.renaming, the table behind redis.conf's rename-command: which names find
// which command afterwards, what stays reachable by its own name, and the refusals.
import RedstartRESP
import Testing

@testable import RedstartEngine

@Suite struct CommandTableTests {
    private func arguments(_ words: String...) -> CommandArguments {
        CommandArguments(words.map { Array($0.utf8) })
    }

    @Test func aRenamedCommandAnswersToItsNewNameOnly() throws {
        let standard = CommandTable.standard()
        let renamed = try standard.renaming("FLUSHDB", to: "Badger")
        let flushdb = standard.command(named: "flushdb")!
        #expect(renamed.command(arguments("badger"), at: 0) === flushdb)
        #expect(renamed.command(arguments("BADGER"), at: 0) === flushdb)
        #expect(renamed.command(arguments("flushdb"), at: 0) == nil)
        #expect(renamed.original === standard)
        #expect(renamed.original.command(arguments("flushdb"), at: 0) === flushdb)
        #expect(renamed.commands.count == standard.commands.count)
        // A second rename starts from the renamed table but keeps the first original.
        let twice = try renamed.renaming("get", to: "")
        #expect(twice.original === standard)
        #expect(twice.command(arguments("badger"), at: 0) === flushdb)
        #expect(twice.command(arguments("get"), at: 0) == nil)
        #expect(twice.commands.count == standard.commands.count - 1)
        #expect(!twice.commands.contains { $0.name == "get" })
    }

    @Test func namesLongerThanACommandNameWork() throws {
        let long = "b840fc02d524045429941cc15f59e41cb7be6c52"
        let renamed = try CommandTable.standard().renaming("config", to: long)
        let config = renamed.original.command(named: "config")!
        #expect(renamed.command(arguments(long.uppercased()), at: 0) === config)
        #expect(renamed.command(named: long + "|get") === config.subcommand(CommandName("get")))
        #expect(renamed.command(arguments("config"), at: 0) == nil)
        #expect(renamed.command(arguments(long + "x"), at: 0) == nil)
    }

    @Test func namesAreBytesFoldedOnlyInASCII() throws {
        // Redis compares command names with strcasecmp: É and é are different bytes.
        let renamed = try CommandTable.standard().renaming("get", to: "GÉT")
        let get = renamed.original.command(named: "get")!
        #expect(renamed.command(arguments("GÉT"), at: 0) === get)
        #expect(renamed.command(arguments("gÉt"), at: 0) === get)
        #expect(renamed.command(arguments("gét"), at: 0) == nil)
        #expect(renamed.command(named: "GÉT") === get)
    }

    @Test func refusalsUseRedisTexts() throws {
        let standard = CommandTable.standard()
        #expect(throws: CommandTable.RenameError.noSuchCommand) { try standard.renaming("nosuch", to: "x") }
        #expect(throws: CommandTable.RenameError.noSuchCommand) { try standard.renaming("config|get", to: "x") }
        #expect(throws: CommandTable.RenameError.targetExists) { try standard.renaming("get", to: "SET") }
        // The old name is gone before the new one is added, as in Redis: renaming a command
        // to its own name is allowed.
        #expect(try standard.renaming("get", to: "get").command(arguments("get"), at: 0) != nil)
        #expect(CommandTable.RenameError.targetExists.message == "Target command name already exists")
    }

    @Test func anEngineChecksACLRulesAgainstOriginalNames() throws {
        let engine = Engine(table: try CommandTable.standard().renaming("flushdb", to: "badger"))
        #expect(engine.table.original.command(named: "flushdb") != nil)
        #expect(engine.acl.index.command(named: "flushdb") != nil)
    }
}
