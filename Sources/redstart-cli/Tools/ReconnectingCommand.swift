// The command loop of --latency, --latency-dist and --stat, which keep going when the
// server goes away: like redis-cli, they print "Reconnecting... <n>" on the same line
// (cleared once connected again) and retry every second. Unlike redis-cli, which
// reconnects without AUTH or SELECT, the new connection repeats the whole handshake,
// so the modes also work against a server with a password.
import Glibc

struct ReconnectingCommand {
    private(set) var connection: CLIConnection
    let options: CLIOptions

    init(_ connection: CLIConnection, _ options: CLIOptions) {
        self.connection = connection
        self.options = options
    }

    /// Sends `command` and returns its reply, reconnecting as long as it takes.
    /// A reply the reader cannot parse ends the process ("Error: ...").
    mutating func call(_ command: [[UInt8]]) -> CLIReply {
        var tries = 0
        while true {
            do {
                try connection.send(command)
                let reply = try connection.readReply()
                if tries > 0 {
                    CLIOutput.write("\r\u{1B}[0K")
                    CLIOutput.flush()
                }
                return reply
            } catch {
                if error.isProtocolError {
                    CLIOutput.error("Error: \(error.message)\n")
                    CLIOutput.exit(1)
                }
            }
            connection.close()
            while true {
                tries += 1
                CLIOutput.write("\r\u{1B}[0KReconnecting... \(tries)\r")
                CLIOutput.flush()
                let (opened, isReady) = CLIConnection.open(options, quiet: true)
                usleep(1_000_000)
                if let opened, isReady {
                    connection = opened
                    break
                }
                opened?.close()
            }
        }
    }
}
