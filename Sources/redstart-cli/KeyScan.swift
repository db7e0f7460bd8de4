// `--scan [--pattern p | --quoted-pattern "p"] [--count n] [-i s]`: lists the keys with
// SCAN until the cursor comes back to 0, one per line; quoted when the output is the
// standard (terminal) format, otherwise printed as C's "%s" would (cut at a NUL byte).
// The SCAN calls and their error messages are KeyspaceScan's; -i sleeps after each call.
import Glibc
import RedstartRESP

enum KeyScan {
    static func run(_ connection: CLIConnection, _ options: CLIOptions, countGiven: Bool) -> Never {
        var scan = KeyspaceScan(connection, pattern: options.pattern, count: countGiven ? options.scanCount : nil)
        repeat {
            let keys = scan.next()
            var out: [UInt8] = []
            for name in keys {
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
        } while !scan.isFinished
        CLIOutput.exit(0)
    }
}
