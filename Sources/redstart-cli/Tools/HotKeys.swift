import Glibc
// `--hotkeys`: SCANs the keyspace, asks OBJECT FREQ of every key (pipelined per SCAN
// batch; the server must use an LFU maxmemory-policy, else its error ends the mode as
// "Error: ...") and keeps the 16 most frequently used keys, reporting each that enters
// the top 16 and, at the end, the top 16 from the hottest down; redis-cli 7.0.15's
// texts. The top 16 is a sorted array of counters, coldest first, as redis-cli keeps
// it: a new key goes in just below the first counter it does not beat, pushing the
// coldest out, or fills an empty slot. -i sleeps after every 100 SCAN calls; Ctrl-C
// stops the scan and prints the summary.
import RedstartRESP

enum HotKeys {
    static let slots = 16

    static func run(_ connection: CLIConnection, _ options: CLIOptions, count: Int32?) -> Never {
        StopRequest.install()
        let totalKeys = KeyspaceScan.databaseSize(connection)
        CLIOutput.write(
            "\n# Scanning the entire keyspace to find hot keys as well as\n"
                + "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n"
                + "# per 100 SCAN commands (not usually needed).\n\n"
        )
        var counters = [UInt64](repeating: 0, count: slots)
        var names = [String](repeating: "", count: slots)
        var scan = KeyspaceScan(connection, pattern: options.pattern, count: count)
        var sampled: UInt64 = 0
        var scanCalls: UInt64 = 0
        var percent = 0.0
        repeat {
            percent = 100 * Double(sampled) / Double(totalKeys)
            let keys = scan.next()
            scanCalls += 1
            let frequencies = keyFrequencies(connection, keys)
            for (index, key) in keys.enumerated() {
                sampled += 1
                if sampled % 1_000_000 == 0 {
                    CLIOutput.write(CFormat.string("[%05.2f%%] Sampled %llu keys so far\n", percent, sampled))
                }
                let frequency = frequencies[index]
                let beaten = counters.prefix { frequency > $0 }.count
                guard beaten > 0 else { continue }
                let slot = beaten - 1
                if slot != 0 && counters[slot] != 0 {
                    // Full up to here: the coldest leaves, the ones below the slot move down.
                    counters.removeFirst()
                    counters.insert(0, at: slot)
                    names.removeFirst()
                    names.insert("", at: slot)
                }
                var quoted: [UInt8] = []
                appendRepr(key, to: &quoted)
                counters[slot] = frequency
                names[slot] = String(decoding: quoted, as: UTF8.self)
                CLIOutput.write(
                    CFormat.string("[%05.2f%%] ", percent)
                        + "Hot key '\(names[slot])' found so far with counter \(frequency)\n"
                )
            }
            if options.intervalMicroseconds != 0 && scanCalls % 100 == 0 {
                usleep(UInt32(truncatingIfNeeded: options.intervalMicroseconds))
            }
        } while !StopRequest.isRequested && !scan.isFinished

        var out = "\n-------- summary -------\n\n"
        if StopRequest.isRequested { out += CFormat.string("[%05.2f%%] ", percent) }
        out += "Sampled \(sampled) keys in the keyspace!\n"
        for slot in (0..<slots).reversed() where counters[slot] > 0 {
            out += "hot key found with counter: \(counters[slot])\tkeyname: \(names[slot])\n"
        }
        CLIOutput.write(out)
        CLIOutput.exit(0)
    }

    /// OBJECT FREQ of each key; a key gone in the meantime counts 0 (with a warning).
    private static func keyFrequencies(_ connection: CLIConnection, _ keys: [[UInt8]]) -> [UInt64] {
        func quoted(_ key: [UInt8]) -> String {
            var out: [UInt8] = []
            appendRepr(key, to: &out)
            return String(decoding: out, as: UTF8.self)
        }
        do {
            if !keys.isEmpty {
                try connection.send(batch: keys.map { [Array("OBJECT".utf8), Array("FREQ".utf8), $0] })
            }
        } catch {
            let code = KeySizeSurvey.hiredisErrorCode(error)
            CLIOutput.error("Error getting freq for key '\(quoted(keys[0]))' (\(code): \(error.message))\n")
            CLIOutput.exit(1)
        }
        var frequencies: [UInt64] = []
        for key in keys {
            let reply: CLIReply
            do {
                reply = try connection.readReply()
            } catch {
                let code = KeySizeSurvey.hiredisErrorCode(error)
                CLIOutput.error("Error getting freq for key '\(quoted(key))' (\(code): \(error.message))\n")
                CLIOutput.exit(1)
            }
            switch reply {
            case .integer(let frequency):
                frequencies.append(UInt64(bitPattern: frequency))
            case .error(let text):
                CLIOutput.error(Array("Error: ".utf8) + text.cString + [0x0A])
                CLIOutput.exit(1)
            default:
                CLIOutput.error("Warning: OBJECT freq on '\(quoted(key))' failed (may have been deleted)\n")
                frequencies.append(0)
            }
        }
        return frequencies
    }
}
