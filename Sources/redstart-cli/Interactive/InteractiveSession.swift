// The interactive mode (redstart-cli with no command), following redis-cli 7.0's repl:
// - lines come from the line editor on a terminal, or one per line from a piped
//   standard input (no prompt, no history); replies are printed in the format standard
//   output calls for, so `redstart-cli < file` prints raw replies like redis-cli;
// - the prompt is `host:port`, or `redis <socket>` with -s, then `[db]` when the
//   database is not 0 and `(TX)` inside MULTI; `not connected> ` with no connection,
//   and the next command connects again;
// - a line is split with the inline-command quoting rules ("Invalid argument(s)" when
//   quotes do not balance); a leading number repeats the command (`3 ping`);
// - the session's own commands: quit/exit, `:set hints|nohints`, `connect host port`,
//   `clear`, `help [command | @group]` (from the server's COMMAND DOCS);
// - every line is added to the history unless it carries a secret (SensitiveCommands);
// - SUBSCRIBE and MONITOR print what arrives until Ctrl-C, which reconnects;
// - a command that takes 0.5 s or more is followed by its time, `(0.52s)`.
// The state redis-cli tracks after replies is tracked the same way: the database of
// SELECT (restored when EXEC or DISCARD cancel a MULTI), MULTI's (TX), RESET.
import Glibc
import RedstartRESP

final class InteractiveSession {
    private var options: CLIOptions
    private var connection: CLIConnection?
    private var catalog = CommandCatalog()
    private var preferences = Preferences()
    private var isInMulti = false
    private var databaseBeforeMulti: Int32 = 0
    private var isTerminal = false

    init(options: CLIOptions) {
        self.options = options
    }

    func run() -> Never {
        StreamInterrupt.install()
        connect()
        var lines: any CommandLines
        isTerminal = Terminal.inputIsTerminal
        if isTerminal && PipedLines.terminalIsTooPlain {
            loadCatalog()
            lines = PipedLines(showsPrompt: true)
        } else if isTerminal {
            loadCatalog()
            preferences.load()
            let editor = LineEditor()
            editor.hints = { [unowned self] line in
                preferences.showsHints ? ArgumentHint.hint(for: line, catalog: catalog) : nil
            }
            editor.completions = { [unowned self] line in CommandCompletion.candidates(for: line, catalog: catalog) }
            lines = TerminalLines(editor: editor)
        } else {
            lines = PipedLines()
        }
        while let line = lines.next(prompt: prompt) {
            handle(line, lines: &lines)
            CLIOutput.flush()
        }
        CLIOutput.exit(0)
    }

    /// `host:port[db](TX)> ` or `not connected> `.
    var prompt: String {
        guard let connection else { return "not connected> " }
        var text: String
        if let socket = options.socketPath {
            text = "redis " + socket
        } else {
            let host = String(decoding: options.host, as: UTF8.self)
            text = host.contains(":") ? "[\(host)]:\(options.port)" : "\(host):\(options.port)"
        }
        if connection.database != 0 { text += "[\(connection.database)]" }
        if isInMulti { text += "(TX)" }
        return text + "> "
    }

    // MARK: - Lines

    private func handle(_ line: [UInt8], lines: inout any CommandLines) {
        guard !line.isEmpty else { return }
        var terminated = line
        terminated.append(0)
        guard let words = terminated.withUnsafeBytes({ splitInlineArguments($0) }) else {
            CLIOutput.write("Invalid argument(s)\n")
            lines.record(line)
            return
        }
        guard !words.isEmpty else { return }
        let texts = words.map { String(decoding: $0, as: UTF8.self) }

        var repeatCount = 1
        var skipped = 0
        if words.count > 1, let count = Self.repeatCount(words[0]) {
            guard count > 0 else {
                CLIOutput.write("Invalid redis-cli repeat command option value.\n")
                return
            }
            repeatCount = count
            skipped = 1
        }
        if !SensitiveCommands.contains(Array(texts[skipped...])) { lines.record(line) }

        // As in redis-cli, these look at the first word even after a repeat count.
        if texts[0].caseInsensitiveEquals("quit") || texts[0].caseInsensitiveEquals("exit") {
            CLIOutput.exit(0)
        } else if words[0].first == UInt8(ascii: ":") {
            preferences.apply(texts, fromFile: false)
        } else if texts[0].caseInsensitiveEquals("restart") {
            CLIOutput.write("Use 'restart' only in Lua debugging mode.\n")
        } else if words.count == 3 && texts[0].caseInsensitiveEquals("connect") {
            options.host = words[1]
            options.port = atoi(String(decoding: words[2].cString, as: UTF8.self))
            connect()
            if isTerminal && catalog.isEmpty { loadCatalog() }
        } else if words.count == 1 && texts[0].caseInsensitiveEquals("clear") {
            CLIOutput.write("\u{1B}[H\u{1B}[2J")
        } else {
            let start = WallClock.milliseconds
            issue(Array(words[skipped...]), repeatCount: repeatCount)
            let elapsed = WallClock.milliseconds - start
            if elapsed >= 500 && options.output == .standard {
                CLIOutput.write(CFormat.string("(%.2fs)\n", Double(elapsed) / 1000))
            }
        }
    }

    /// The count of `3 ping`: a first word strtol reads whole; nil when it is not one.
    /// Zero or negative (or out of range) is returned as 0, an invalid count.
    private static func repeatCount(_ word: [UInt8]) -> Int? {
        var bytes = Array(word.cString)
        bytes.append(0)
        return bytes.withUnsafeBufferPointer { pointer -> Int? in
            pointer.withMemoryRebound(to: CChar.self) { chars in
                var end: UnsafeMutablePointer<CChar>?
                errno = 0
                let value = strtol(chars.baseAddress!, &end, 10)
                guard let end, end.pointee == 0 else { return nil }
                if errno == ERANGE || errno == EINVAL || value <= 0 { return 0 }
                return value
            }
        }
    }

    // MARK: - Commands

    /// Runs a command `repeatCount` times (or prints help), connecting first if needed.
    private func issue(_ words: [[UInt8]], repeatCount: Int) {
        let name = String(decoding: words[0], as: UTF8.self)
        if name.caseInsensitiveEquals("help") || name == "?" {
            if catalog.isEmpty { loadCatalog() }
            let topic = words.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            CLIOutput.write(CommandHelp.text(for: topic, catalog: catalog))
            return
        }
        if connection == nil {
            guard connect(), connection != nil else {
                // redis-cli prints the context's (empty) error when only the handshake failed.
                if connection != nil { CLIOutput.error("Error: \n") }
                return
            }
            if isTerminal && catalog.isEmpty { loadCatalog() }
        }
        if let failure = send(words, repeatCount: repeatCount) {
            CLIOutput.error("Error: \(failure.message)\n")
            connection?.close()
            connection = nil
        }
    }

    /// Sends the command and prints its replies; the failure when the connection was
    /// lost (the caller drops it). A reply the reader cannot parse ends the process.
    private func send(_ words: [[UInt8]], repeatCount: Int) -> CLIReadFailure? {
        guard let connection else { return nil }
        let lowered = words.prefix(2).map { String(decoding: $0, as: UTF8.self).lowercased() }
        let name = lowered[0]
        let rawStrings = OneShot.printsRawText(lowered, count: words.count)
        if name == "sync" || name == "psync" {
            CLIOutput.error("redstart-cli: \(name.uppercased()) is not supported in the interactive mode\n")
            return nil
        }
        for _ in 0..<repeatCount {
            do {
                try connection.send(words)
            } catch {
                return error
            }
            if name == "monitor" {
                stream(connection, rawStrings: rawStrings, pushes: false)
                return nil
            }
            if name == "subscribe" || name == "psubscribe" || name == "ssubscribe" {
                if options.output != .raw { CLIOutput.write("Reading messages... (press Ctrl-C to quit)\n") }
                CLIOutput.flush()
                // After Ctrl-C the connection is a new one: no more repetitions on the old.
                if stream(connection, rawStrings: rawStrings, pushes: true) { return nil }
                continue
            }
            let reply: CLIReply
            do {
                reply = try connection.readReply()
            } catch {
                if name == "shutdown" {
                    connection.close()
                    self.connection = nil
                    return nil
                }
                if error.isProtocolError {
                    CLIOutput.error("Error: \(error.message)\n")
                    CLIOutput.exit(1)
                }
                return error
            }
            CLIOutput.write(ReplyFormatter.format(reply, options, rawStrings: rawStrings))
            CLIOutput.flush()
            track(lowered, words, reply)
            if options.intervalMicroseconds != 0 {
                usleep(UInt32(truncatingIfNeeded: options.intervalMicroseconds))
            }
        }
        return nil
    }

    /// Prints replies as they come (MONITOR, or SUBSCRIBE's messages when `pushes`)
    /// until an error reply or Ctrl-C, which reconnects (and makes the result true). A
    /// lost connection ends the process, as in redis-cli.
    @discardableResult
    private func stream(_ connection: CLIConnection, rawStrings: Bool, pushes: Bool) -> Bool {
        StreamInterrupt.begin(on: connection.transport.interruptibleDescriptor)
        defer { StreamInterrupt.end() }
        while true {
            let reply: CLIReply
            do {
                reply = try connection.readReply(returnPushes: pushes)
            } catch {
                if StreamInterrupt.wasInterrupted {
                    StreamInterrupt.end()
                    guard connect(), self.connection != nil else { CLIOutput.exit(1) }
                    return true
                }
                CLIOutput.error("Error: \(error.message)\n")
                CLIOutput.exit(1)
            }
            CLIOutput.write(ReplyFormatter.format(reply, options, rawStrings: rawStrings))
            CLIOutput.flush()
            if reply.isError { return false }
        }
    }

    /// What the prompt and later connections must remember after a reply.
    private func track(_ lowered: [String], _ words: [[UInt8]], _ reply: CLIReply) {
        guard let connection else { return }
        let succeeded = !reply.isError
        switch (lowered[0], words.count) {
        case ("select", 2) where succeeded:
            let number = atoi(String(decoding: words[1].cString, as: UTF8.self))
            connection.database = number
            options.database = number
        case ("auth", 2), ("auth", 3):
            connection.select(options.database)
        case ("multi", 1) where succeeded:
            isInMulti = true
            databaseBeforeMulti = connection.database
        case ("exec", 1) where isInMulti:
            isInMulti = false
            // A failed or aborted transaction did not SELECT anything.
            if reply.isError || reply.isNull {
                connection.database = databaseBeforeMulti
                options.database = databaseBeforeMulti
            }
        case ("discard", 1) where succeeded:
            isInMulti = false
            connection.database = databaseBeforeMulti
            options.database = databaseBeforeMulti
        case ("reset", 1) where succeeded:
            isInMulti = false
            connection.database = 0
            options.database = 0
            options.resp3 = false
            options.resp3Implied = false
        default:
            break
        }
    }

    // MARK: - Connection

    /// Drops the connection, if any, and opens a new one (messages printed); true when
    /// the new one is ready. A connection whose AUTH failed is kept, as redis-cli keeps it.
    @discardableResult
    private func connect() -> Bool {
        connection?.close()
        connection = nil
        isInMulti = false
        let (opened, isReady) = CLIConnection.open(options, quiet: false)
        connection = opened
        if let opened, options.showPushes {
            let options = self.options
            opened.onPush = { push in
                CLIOutput.write(PushDisplay.format(push, options))
                CLIOutput.flush()
            }
        }
        return opened != nil && isReady
    }

    /// Reads the help topics from the server (not inside MULTI, where COMMAND DOCS would
    /// only be queued).
    private func loadCatalog() {
        guard let connection, !isInMulti else { return }
        catalog = CommandCatalog.fetch(from: connection)
    }
}
