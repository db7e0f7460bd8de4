// The one-shot mode: `redstart-cli [options] cmd arg ...` sends the command (-r times,
// -i apart) and prints each reply, as redis-cli's noninteractive/issueCommand/
// cliSendCommand/cliReadReply do:
// - the arguments may be C-quoted (--quoted-input), -x appends stdin as the last one,
//   -X replaces the argument equal to its tag with stdin;
// - when the first (quiet) connection attempt failed, a second one prints "Could not
//   connect to Redis at ..." and the exit code is 1;
// - INFO, CLIENT LIST and the other text-report commands print their text raw, whatever
//   the format; SUBSCRIBE and MONITOR keep printing what arrives;
// - a lost connection is "Error: <reason>" and exit 1, except after SHUTDOWN;
// - with -e an error reply goes to stderr and the exit code is 1.
import Glibc

struct OneShot {
    var options: CLIOptions
    var connection: CLIConnection?

    /// Runs the command in `arguments`; returns the exit code.
    mutating func run(_ arguments: [[UInt8]]) -> Int32 {
        var words: [[UInt8]] = []
        for argument in arguments {
            if options.quotedInput {
                guard let unquoted = unquoteCString(argument) else {
                    CLIOutput.write("Invalid quoted string\n")
                    return 1
                }
                words.append(unquoted)
            } else {
                words.append(argument)
            }
        }
        if options.stdinLastArgument {
            words.append(readStandardInput())
        } else if let tag = options.stdinTag {
            guard let index = words.firstIndex(of: tag) else {
                CLIOutput.error("Using -X option but stdin tag not match.\n")
                return 1
            }
            words[index] = readStandardInput()
        }
        return issue(words, repeatCount: options.repeatCount) ? 0 : 1
    }

    /// Sends `words` `repeatCount` times (forever when negative); false on failure.
    mutating func issue(_ words: [[UInt8]], repeatCount: Int64) -> Bool {
        let name = String(decoding: words[0], as: UTF8.self).lowercased()
        if name == "help" || name == "?" {
            // As redis-cli, help is answered here, from the server's COMMAND DOCS.
            let topic = words.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            var catalog = CommandCatalog()
            if !topic.isEmpty, let connection { catalog = CommandCatalog.fetch(from: connection) }
            CLIOutput.write(CommandHelp.text(for: topic, catalog: catalog))
            return true
        }
        if connection == nil {
            let (opened, isReady) = CLIConnection.open(options, quiet: false)
            connection = opened
            guard opened != nil, isReady else {
                // redis-cli prints the context's (empty) error when the handshake failed.
                if opened != nil { CLIOutput.error("Error: \n") }
                return false
            }
        }
        return send(words, repeatCount: repeatCount)
    }

    private mutating func send(_ words: [[UInt8]], repeatCount: Int64) -> Bool {
        guard let connection else { return false }
        let lowered = words.prefix(2).map { String(decoding: $0, as: UTF8.self).lowercased() }
        let name = lowered[0]
        let rawStrings = Self.printsRawText(lowered, count: words.count)
        let isShutdown = name == "shutdown"
        let isMonitor = name == "monitor"
        let isSubscribe = name == "subscribe" || name == "psubscribe" || name == "ssubscribe"
        if options.showPushes {
            let options = self.options
            connection.onPush = { push in
                CLIOutput.write(ReplyFormatter.format(push, options))
                CLIOutput.flush()
            }
        }

        var remaining = repeatCount
        while remaining < 0 || remaining > 0 {
            if remaining > 0 { remaining -= 1 }
            do {
                try connection.send(words)
            } catch {
                fail(error)
            }
            if isMonitor {
                // Replies until one is an error (MONITOR refused) or the connection ends.
                while true {
                    guard let reply = read(connection, rawStrings: rawStrings, isShutdown: false) else { return true }
                    if reply.isError { return true }
                }
            }
            if isSubscribe {
                if options.output != .raw { CLIOutput.write("Reading messages... (press Ctrl-C to quit)\n") }
                while true {
                    guard let reply = read(connection, rawStrings: rawStrings, isShutdown: false, returnPushes: true)
                    else { return true }
                    CLIOutput.flush()
                    if reply.isError { break }
                }
                continue
            }
            guard let reply = read(connection, rawStrings: rawStrings, isShutdown: isShutdown) else {
                self.connection = nil
                return true
            }
            track(lowered, words, reply)
            if options.intervalMicroseconds != 0 {
                usleep(UInt32(truncatingIfNeeded: options.intervalMicroseconds))
            }
            CLIOutput.flush()
        }
        return true
    }

    /// Reads and prints one reply (redis-cli's cliReadReply); nil when the connection ended
    /// after SHUTDOWN. Exits on any other read failure and, with -e, on an error reply.
    private func read(
        _ connection: CLIConnection, rawStrings: Bool, isShutdown: Bool, returnPushes: Bool = false
    ) -> CLIReply? {
        let reply: CLIReply
        do {
            reply = try connection.readReply(returnPushes: returnPushes)
        } catch {
            if isShutdown {
                connection.close()
                return nil
            }
            fail(error)
        }
        if options.setErrorCode, case .error(let text) = reply {
            CLIOutput.error(Array(text.cString) + [0x0A])
            CLIOutput.exit(1)
        }
        CLIOutput.write(ReplyFormatter.format(reply, options, rawStrings: rawStrings))
        CLIOutput.flush()
        return reply
    }

    /// What redis-cli remembers after a command: the database of SELECT (and of RESET),
    /// and a new SELECT of the -n database after AUTH.
    private mutating func track(_ lowered: [String], _ words: [[UInt8]], _ reply: CLIReply) {
        guard let connection else { return }
        switch (lowered[0], words.count) {
        case ("select", 2) where !reply.isError:
            let number = atoi(String(decoding: words[1].cString, as: UTF8.self))
            connection.database = number
            options.database = number
        case ("auth", 2), ("auth", 3):
            connection.select(options.database)
        case ("reset", 1) where !reply.isError:
            connection.database = 0
            options.database = 0
        default:
            break
        }
    }

    private func fail(_ error: CLIReadFailure) -> Never {
        CLIOutput.error("Error: \(error.message)\n")
        CLIOutput.exit(1)
    }

    /// The commands whose reply is a text report printed as is (redis-cli's list).
    static func printsRawText(_ lowered: [String], count: Int) -> Bool {
        let name = lowered[0]
        let sub = lowered.count > 1 ? lowered[1] : ""
        switch name {
        case "info", "lolwut": return true
        case "debug": return count >= 2 && ["htstats", "htstats-key", "client-eviction"].contains(sub)
        case "memory": return count >= 2 && (sub == "malloc-stats" || sub == "doctor")
        case "cluster": return count == 2 && (sub == "nodes" || sub == "info")
        case "client": return count >= 2 && (sub == "list" || sub == "info")
        case "latency": return (count == 3 && sub == "graph") || (count == 2 && sub == "doctor")
        case "proxy": return count >= 2 && sub == "info"
        default: return false
        }
    }
}

/// All of standard input, as -x and -X read it.
func readStandardInput() -> [UInt8] {
    var result: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 65536)
    while true {
        let count = chunk.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
        if count == 0 { break }
        if count < 0 {
            if errno == EINTR { continue }
            perror("Reading from standard input")
            CLIOutput.exit(1)
        }
        result.append(contentsOf: chunk[0..<count])
    }
    return result
}
