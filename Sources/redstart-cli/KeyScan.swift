// `--scan [--pattern p | --quoted-pattern "p"] [--count n] [-i s]`: lists the keys with
// SCAN until the cursor comes back to 0, one per line; quoted when the output is the
// standard (terminal) format, otherwise printed as C's "%s" would (cut at a NUL byte).
// SCAN is sent as redis-cli 7.0.15 sends it (no COUNT) unless --count is given, which
// is redis-cli 7.2's option.
import RedstartRESP
import Glibc

enum KeyScan {
    static func run(_ connection: CLIConnection, _ options: CLIOptions, countGiven: Bool) -> Never {
        var cursor: UInt64 = 0
        repeat {
            var command: [[UInt8]] = [Array("SCAN".utf8), Array(String(cursor).utf8)]
            if let pattern = options.pattern {
                command += [Array("MATCH".utf8), pattern]
            }
            if countGiven {
                command += [Array("COUNT".utf8), Array(String(options.scanCount).utf8)]
            }
            let reply: CLIReply
            do {
                try connection.send(command)
                reply = try connection.readReply()
            } catch {
                CLIOutput.error("\nI/O error\n")
                CLIOutput.exit(1)
            }
            guard case .aggregate(let kind, let elements) = reply, kind == .array else {
                if case .error(let text) = reply {
                    CLIOutput.error(Array("SCAN error: ".utf8) + text.cString + [0x0A])
                } else {
                    CLIOutput.error("Non ARRAY response from SCAN!\n")
                }
                CLIOutput.exit(1)
            }
            guard elements.count == 2, case .string(let next) = elements[0],
                case .aggregate(_, let keys) = elements[1]
            else {
                CLIOutput.error("Invalid element count from SCAN!\n")
                CLIOutput.exit(1)
            }
            cursor = strtoull(String(decoding: next.cString, as: UTF8.self), nil, 10)
            var out: [UInt8] = []
            for key in keys {
                guard case .string(let name) = key else { continue }
                if options.output == .standard {
                    appendRepr(name, to: &out)
                } else {
                    out.append(contentsOf: name.cString)
                }
                out.append(0x0A)
            }
            CLIOutput.write(out)
            if options.intervalMicroseconds != 0 {
                usleep(UInt32(truncatingIfNeeded: options.intervalMicroseconds))
            }
        } while cursor != 0
        CLIOutput.exit(0)
    }
}
