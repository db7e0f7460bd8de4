import Glibc
// `--bigkeys` and `--memkeys [--memkeys-samples n]`: SCANs the keyspace, asks each key's
// TYPE and then its size (STRLEN, LLEN, SCARD, HLEN, ZCARD, XLEN; or MEMORY USAGE with
// --memkeys), both pipelined per SCAN batch, and reports the biggest key of each type
// as it is found and in a summary, in redis-cli 7.0.15's words and printf formats.
// - A key gone between SCAN and TYPE ("none") is not counted; a type with no size
//   command (a module's) counts with size 0 unless --memkeys.
// - -i sleeps after every 100 SCAN calls; Ctrl-C stops the scan and prints the summary
//   with the progress reached.
// - redis-cli lists the types in its hash table's order, which shifts while the table
//   is being rehashed (so with fewer than four keys); here the order is always the
//   one it settles on: list, hash, string, stream, set, zset, then other types as found.
import RedstartRESP

enum KeySizeSurvey {
    /// What the survey knows about one type.
    private struct TypeStats {
        var name: String
        var sizeCommand: String?
        var unit: String
        var biggest: UInt64 = 0
        var biggestKey: String?
        var count: UInt64 = 0
        var totalSize: UInt64 = 0
    }

    static func run(_ connection: CLIConnection, _ options: CLIOptions, count: Int32?, memory: Bool) -> Never {
        var types: [TypeStats] = [
            TypeStats(name: "list", sizeCommand: "LLEN", unit: "items"),
            TypeStats(name: "hash", sizeCommand: "HLEN", unit: "fields"),
            TypeStats(name: "string", sizeCommand: "STRLEN", unit: "bytes"),
            TypeStats(name: "stream", sizeCommand: "XLEN", unit: "entries"),
            TypeStats(name: "set", sizeCommand: "SCARD", unit: "members"),
            TypeStats(name: "zset", sizeCommand: "ZCARD", unit: "members"),
        ]
        StopRequest.install()
        let totalKeys = KeyspaceScan.databaseSize(connection)
        CLIOutput.write(
            "\n# Scanning the entire keyspace to find biggest keys as well as\n"
                + "# average sizes per key type.  You can use -i 0.1 to sleep 0.1 sec\n"
                + "# per 100 SCAN commands (not usually needed).\n\n"
        )

        var scan = KeyspaceScan(connection, pattern: options.pattern, count: count)
        var sampled: UInt64 = 0
        var totalLength: UInt64 = 0
        var scanCalls: UInt64 = 0
        var percent = 0.0
        var lookups = 0
        repeat {
            percent = 100 * Double(sampled) / Double(totalKeys)
            let keys = scan.next()
            scanCalls += 1
            let typeIndexes = keyTypes(connection, keys, into: &types)
            lookups += keys.count
            let sizes = keySizes(
                connection,
                keys,
                typeIndexes,
                types,
                memory: memory,
                samples: options.tools.memKeysSamples
            )
            for (index, key) in keys.enumerated() {
                guard let typeIndex = typeIndexes[index] else { continue }
                types[typeIndex].totalSize &+= sizes[index]
                types[typeIndex].count += 1
                totalLength += UInt64(key.count)
                sampled += 1
                if types[typeIndex].biggest < sizes[index] {
                    var quoted: [UInt8] = []
                    appendRepr(key, to: &quoted)
                    let name = String(decoding: quoted, as: UTF8.self)
                    types[typeIndex].biggestKey = name
                    types[typeIndex].biggest = sizes[index]
                    let unit = memory ? "bytes" : types[typeIndex].unit
                    CLIOutput.write(
                        CFormat.string("[%05.2f%%] ", percent) + "Biggest \(types[typeIndex].name.padded(to: 6)) "
                            + "found so far '\(name)' with \(sizes[index]) \(unit)\n"
                    )
                }
                if sampled % 1_000_000 == 0 {
                    CLIOutput.write(CFormat.string("[%05.2f%%] Sampled %llu keys so far\n", percent, sampled))
                }
            }
            if options.intervalMicroseconds != 0 && scanCalls % 100 == 0 {
                StopRequest.sleep(microseconds: Int(options.intervalMicroseconds))
            }
        } while !StopRequest.isRequested && !scan.isFinished

        let order = summaryOrder(afterLookups: lookups)
        types.sort { (order.firstIndex(of: $0.name) ?? order.count) < (order.firstIndex(of: $1.name) ?? order.count) }
        var out = "\n-------- summary -------\n\n"
        if StopRequest.isRequested { out += CFormat.string("[%05.2f%%] ", percent) }
        out += "Sampled \(sampled) keys in the keyspace!\n"
        out += "Total key length in bytes is \(totalLength) "
        out += CFormat.string("(avg len %.2f)\n\n", totalLength != 0 ? Double(totalLength) / Double(sampled) : 0)
        for type in types {
            guard let key = type.biggestKey else { continue }
            out +=
                "Biggest \(type.name.padded(to: -6)) found '\(key)' has \(type.biggest) \(memory ? "bytes" : type.unit)\n"
        }
        out += "\n"
        for type in types {
            out += "\(type.count) \(type.name)s with \(type.totalSize) \(memory ? "bytes" : type.unit) "
            out += CFormat.string(
                "(%05.2f%% of keys, avg size %.2f)\n",
                sampled != 0 ? 100 * Double(type.count) / Double(sampled) : 0,
                type.count != 0 ? Double(type.totalSize) / Double(type.count) : 0
            )
        }
        CLIOutput.write(out)
        CLIOutput.exit(0)
    }

    /// The order of redis-cli's table of types after `lookups` TYPE replies: the table
    /// grows while the six types are added and finishes moving to its new size over the
    /// next two lookups.
    private static func summaryOrder(afterLookups lookups: Int) -> [String] {
        switch lookups {
        case 0: ["hash", "list", "string", "stream", "set", "zset"]
        case 1: ["string", "list", "hash", "stream", "set", "zset"]
        default: ["list", "hash", "string", "stream", "set", "zset"]
        }
    }

    /// Each key's index in `types` (new types added as found); nil for a key gone.
    private static func keyTypes(
        _ connection: CLIConnection,
        _ keys: [[UInt8]],
        into types: inout [TypeStats]
    ) -> [Int?] {
        do {
            try connection.send(batch: keys.map { [Array("TYPE".utf8), $0] })
        } catch {
            fail(
                "Error getting type for key '\(String(decoding: keys[0].cString, as: UTF8.self))' (\(hiredisErrorCode(error)): \(error.message))"
            )
        }
        var indexes: [Int?] = []
        for key in keys {
            let reply: CLIReply
            do {
                reply = try connection.readReply()
            } catch {
                fail(
                    "Error getting type for key '\(String(decoding: key.cString, as: UTF8.self))' (\(hiredisErrorCode(error)): \(error.message))"
                )
            }
            guard case .status(let bytes) = reply else {
                if case .error(let text) = reply {
                    fail("TYPE returned an error: \(String(decoding: text.cString, as: UTF8.self))")
                }
                fail(
                    "Invalid reply type (\(hiredisType(reply))) for TYPE on key '\(String(decoding: key.cString, as: UTF8.self))'!"
                )
            }
            let name = String(decoding: bytes.cString, as: UTF8.self)
            if let index = types.firstIndex(where: { $0.name == name }) {
                indexes.append(index)
            } else if name == "none" {
                indexes.append(nil)
            } else {
                types.append(TypeStats(name: name, sizeCommand: nil, unit: "?"))
                indexes.append(types.count - 1)
            }
        }
        return indexes
    }

    /// Each key's size (0 for keys skipped or whose size command failed).
    private static func keySizes(
        _ connection: CLIConnection,
        _ keys: [[UInt8]],
        _ typeIndexes: [Int?],
        _ types: [TypeStats],
        memory: Bool,
        samples: Int32
    ) -> [UInt64] {
        var commands: [[[UInt8]]] = []
        var asked: [Bool] = []
        for (index, key) in keys.enumerated() {
            guard let typeIndex = typeIndexes[index], memory || types[typeIndex].sizeCommand != nil else {
                asked.append(false)
                continue
            }
            asked.append(true)
            if !memory {
                commands.append([Array(types[typeIndex].sizeCommand!.utf8), key])
            } else if samples == 0 {
                commands.append([Array("MEMORY".utf8), Array("USAGE".utf8), key])
            } else {
                commands.append(
                    [
                        Array("MEMORY".utf8), Array("USAGE".utf8), key, Array("SAMPLES".utf8),
                        Array(String(samples).utf8),
                    ])
            }
        }
        do {
            if !commands.isEmpty { try connection.send(batch: commands) }
        } catch {
            fail(
                "Error getting size for key '\(String(decoding: keys[0].cString, as: UTF8.self))' (\(hiredisErrorCode(error)): \(error.message))"
            )
        }
        var sizes: [UInt64] = []
        for (index, key) in keys.enumerated() {
            guard asked[index] else {
                sizes.append(0)
                continue
            }
            let reply: CLIReply
            do {
                reply = try connection.readReply()
            } catch {
                fail(
                    "Error getting size for key '\(String(decoding: key.cString, as: UTF8.self))' (\(hiredisErrorCode(error)): \(error.message))"
                )
            }
            guard case .integer(let size) = reply else {
                // The key may have changed type between TYPE and the size command.
                let command = memory ? "MEMORY USAGE" : types[typeIndexes[index]!].sizeCommand!
                CLIOutput.error(
                    "Warning:  \(command) on '\(String(decoding: key.cString, as: UTF8.self))' failed (may have changed type)\n"
                )
                sizes.append(0)
                continue
            }
            sizes.append(UInt64(bitPattern: size))
        }
        return sizes
    }

    /// hiredis's number for a reply type, as redis-cli prints it.
    static func hiredisType(_ reply: CLIReply) -> Int {
        switch reply {
        case .string: 1
        case .aggregate(.array, _): 2
        case .integer: 3
        case .null: 4
        case .status: 5
        case .error: 6
        case .double: 7
        case .boolean: 8
        case .aggregate(.map, _): 9
        case .aggregate(.set, _): 10
        case .aggregate(.push, _): 12
        case .bigNumber: 13
        case .verbatim: 14
        }
    }

    /// hiredis's error number for a failed read: 3 for end of file, 4 for a protocol
    /// error, 1 for other I/O errors.
    static func hiredisErrorCode(_ error: CLIReadFailure) -> Int {
        if error.isProtocolError { return 4 }
        return error.message == CLIIOError.closed.message ? 3 : 1
    }

    private static func fail(_ message: String) -> Never {
        CLIOutput.error(message + "\n")
        CLIOutput.exit(1)
    }
}
