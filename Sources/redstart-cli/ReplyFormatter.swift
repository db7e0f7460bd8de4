// Turns a reply into the bytes redis-cli 7.0.15 prints for it, in its three formats:
// - standard (a terminal, or --no-raw): `(integer) 1`, `(nil)`, quoted strings, errors as
//   `(error) ...`, aggregates numbered `1) ` with nested prefixes padded to the widest
//   index, maps `1# key => value`, sets `1~ `, `(empty array)` and its kin;
// - raw (stdout not a terminal, or --raw): bare bytes, elements joined by -d, a reply
//   ended by -D; nil prints nothing, booleans `(true)`;
// - CSV: quoted strings, `ERROR,"..."`, `NULL`, `true`, elements joined by commas;
// - JSON and quoted JSON: JSONReplyFormatter.
// Quirks kept on purpose (each is redis-cli's): a status or error is cut at a NUL byte
// where redis-cli uses strlen or %s; a raw error ends with its own newline before -D;
// a RESP3 big number is "Unknown reply type: 13" and exit 1, since redis-cli has no case
// for it.

import RedstartRESP

enum ReplyFormatter {
    /// The bytes printed for `reply`. `rawStrings` is redis-cli's verbatim mode (INFO,
    /// CLIENT LIST, ...: raw text with no trailing delimiter, whatever the format).
    static func format(_ reply: CLIReply, _ options: CLIOptions, rawStrings: Bool = false) -> [UInt8] {
        var out: [UInt8] = []
        if rawStrings {
            raw(reply, options, into: &out)
            return out
        }
        switch options.output {
        case .standard:
            standard(reply, prefix: [], into: &out)
        case .raw:
            raw(reply, options, into: &out)
            out.append(contentsOf: options.replyDelimiter)
        case .csv:
            csv(reply, into: &out)
            out.append(0x0A)
        case .json, .quotedJSON:
            JSONReplyFormatter.format(reply, quoted: options.output == .quotedJSON, into: &out)
            out.append(0x0A)
        }
        return out
    }

    // MARK: - Standard (human) format

    private static func standard(_ reply: CLIReply, prefix: [UInt8], into out: inout [UInt8]) {
        switch reply {
        case .error(let text):
            out.append("(error) ")
            out.append(contentsOf: text.cString)
            out.append(0x0A)
        case .status(let text):
            out.append(contentsOf: text.cString)
            out.append(0x0A)
        case .integer(let value):
            out.append("(integer) \(value)\n")
        case .double(let text):
            out.append("(double) ")
            out.append(contentsOf: text.cString)
            out.append(0x0A)
        case .string(let bytes):
            appendRepr(bytes, to: &out)
            out.append(0x0A)
        case .verbatim(let bytes):
            out.append(contentsOf: bytes)
            out.append(0x0A)
        case .null:
            out.append("(nil)\n")
        case .boolean(let flag):
            out.append(flag ? "(true)\n" : "(false)\n")
        case .bigNumber:
            unknownType(13)
        case .aggregate(let kind, let elements):
            standardAggregate(kind, elements, prefix: prefix, into: &out)
        }
    }

    private static func standardAggregate(
        _ kind: CLIReply.Aggregate, _ elements: [CLIReply], prefix: [UInt8], into out: inout [UInt8]
    ) {
        if elements.isEmpty {
            switch kind {
            case .array: out.append("(empty array)\n")
            case .map: out.append("(empty hash)\n")
            case .set: out.append("(empty set)\n")
            case .push: out.append("(empty push)\n")
            }
            return
        }
        // Indexes are right-aligned to the width of the largest; nested lines are indented
        // by that width plus two.
        let entries = kind == .map ? elements.count / 2 : elements.count
        let width = String(entries).utf8.count
        let nestedPrefix = prefix + [UInt8](repeating: 0x20, count: width + 2)
        let separator: String =
            switch kind {
            case .set: "~"
            case .map: "#"
            case .array, .push: ")"
            }
        var index = 0
        while index < elements.count {
            let number = String((kind == .map ? index / 2 : index) + 1)
            // The first entry follows the parent's own index on the same line.
            if index != 0 { out.append(contentsOf: prefix) }
            out.append(contentsOf: [UInt8](repeating: 0x20, count: width - number.utf8.count))
            out.append(number + separator + " ")
            standard(elements[index], prefix: nestedPrefix, into: &out)
            if kind == .map {
                index += 1
                out.removeLast()  // the key's newline
                out.append(" => ")
                if isMultiline(elements[index]) {
                    // Start a multi-line value on its own line so its indexes align.
                    out.append(0x0A)
                    out.append(contentsOf: nestedPrefix)
                }
                standard(elements[index], prefix: nestedPrefix, into: &out)
            }
            index += 1
        }
    }

    /// Whether the standard format spreads `reply` over several lines.
    private static func isMultiline(_ reply: CLIReply) -> Bool {
        guard case .aggregate(let kind, let elements) = reply, !elements.isEmpty else { return false }
        if kind == .map {
            return elements.count > 2 || isMultiline(elements[1])
        }
        return elements.count > 1 || isMultiline(elements[0])
    }

    // MARK: - Raw format

    private static func raw(_ reply: CLIReply, _ options: CLIOptions, into out: inout [UInt8]) {
        switch reply {
        case .null:
            break
        case .error(let text):
            out.append(contentsOf: text)
            out.append(0x0A)
        case .status(let bytes), .string(let bytes), .verbatim(let bytes), .double(let bytes):
            out.append(contentsOf: bytes)
        case .boolean(let flag):
            out.append(flag ? "(true)" : "(false)")
        case .integer(let value):
            out.append(String(value))
        case .bigNumber:
            unknownType(13)
        case .aggregate(let kind, let elements):
            var index = 0
            while index < elements.count {
                if index > 0 { out.append(contentsOf: options.bulkDelimiter) }
                raw(elements[index], options, into: &out)
                if kind == .map {
                    out.append(0x20)
                    raw(elements[index + 1], options, into: &out)
                    index += 1
                }
                index += 1
            }
        }
    }

    // MARK: - CSV

    private static func csv(_ reply: CLIReply, into out: inout [UInt8]) {
        switch reply {
        case .error(let text):
            out.append("ERROR,")
            appendRepr(text.cString, to: &out)
        case .status(let bytes), .string(let bytes), .verbatim(let bytes):
            appendRepr(bytes, to: &out)
        case .integer(let value):
            out.append(String(value))
        case .double(let text):
            out.append(contentsOf: text.cString)
        case .null:
            out.append("NULL")
        case .boolean(let flag):
            out.append(flag ? "true" : "false")
        case .bigNumber:
            unknownType(13)
        case .aggregate(_, let elements):
            // CSV has no map type: a map is its keys and values in a row.
            for (index, element) in elements.enumerated() {
                csv(element, into: &out)
                if index != elements.count - 1 { out.append(UInt8(ascii: ",")) }
            }
        }
    }

    /// redis-cli's answer to a reply type it has no case for (hiredis's type number).
    private static func unknownType(_ number: Int) -> Never {
        CLIOutput.error("Unknown reply type: \(number)\n")
        CLIOutput.exit(1)
    }
}
