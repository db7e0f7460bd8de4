// Redis 7 key specifications: where a command's keys are (a begin-search step
// by index or keyword, then a find-keys step by range or key count) and what
// the command does to them (RO, RW, access, update, ...). Parsed from the
// catalog's COMMAND INFO data; used by COMMAND GETKEYS and GETKEYSANDFLAGS the
// way Redis's getKeysUsingKeySpecs uses them.
import RedstartRESP

/// One key specification of a command.
struct KeySpec {
    enum BeginSearch {
        case index(Int)
        case keyword(String, startFrom: Int)
        case unknown
    }

    enum FindKeys {
        case range(lastKey: Int, keyStep: Int, limit: Int)
        case keyNumber(index: Int, firstKey: Int, keyStep: Int)
        case unknown
    }

    /// Flag names in Redis's order (RO, RW, OW, RM, access, update, insert, delete, ...).
    let flags: [String]
    let beginSearch: BeginSearch
    let findKeys: FindKeys

    var isNotKey: Bool { flags.contains("not_key") }

    /// Parses the key specs of COMMAND INFO (a set or array of maps).
    static func parse(_ value: RESPValue) -> [KeySpec] {
        (value.elements ?? []).compactMap { element in
            guard case .map(let pairs) = element else { return nil }
            let fields = Dictionary(pairs.map { ($0.key.string ?? "", $0.value) }, uniquingKeysWith: { a, _ in a })
            let flags = fields["flags"]?.elements?.compactMap(\.string) ?? []
            return KeySpec(flags: flags, beginSearch: beginSearch(fields["begin_search"]), findKeys: findKeys(fields["find_keys"]))
        }
    }

    private static func spec(_ value: RESPValue?) -> (type: String, spec: [String: RESPValue]) {
        guard case .map(let pairs)? = value else { return ("unknown", [:]) }
        var type = "unknown"
        var spec: [String: RESPValue] = [:]
        for pair in pairs {
            if pair.key.string == "type" { type = pair.value.string ?? "unknown" }
            if pair.key.string == "spec", case .map(let inner) = pair.value {
                for field in inner { spec[field.key.string ?? ""] = field.value }
            }
        }
        return (type, spec)
    }

    private static func beginSearch(_ value: RESPValue?) -> BeginSearch {
        let (type, spec) = spec(value)
        switch type {
        case "index": return .index(Int(spec["index"]?.int ?? 0))
        case "keyword": return .keyword(spec["keyword"]?.string ?? "", startFrom: Int(spec["startfrom"]?.int ?? 0))
        default: return .unknown
        }
    }

    private static func findKeys(_ value: RESPValue?) -> FindKeys {
        let (type, spec) = spec(value)
        switch type {
        case "range":
            return .range(
                lastKey: Int(spec["lastkey"]?.int ?? 0), keyStep: Int(spec["keystep"]?.int ?? 1),
                limit: Int(spec["limit"]?.int ?? 0))
        case "keynum":
            return .keyNumber(
                index: Int(spec["keynumidx"]?.int ?? 0), firstKey: Int(spec["firstkey"]?.int ?? 1),
                keyStep: Int(spec["keystep"]?.int ?? 1))
        default: return .unknown
        }
    }
}

/// A key found in a request: its argument index and the flags of the spec that found it.
public struct KeyReference: Sendable {
    /// The argument index of the key.
    public let position: Int
    /// Key-spec flag names (RO, RW, OW, RM, access, update, insert, delete, ...).
    public let flags: [String]

    public init(position: Int, flags: [String]) {
        self.position = position
        self.flags = flags
    }
}

extension KeySpec {
    /// The keys of a request as Redis's getKeysFromCommandWithSpecs finds them: from the key
    /// specs when their flags are fixed, else from the command's own key finder.
    static func keys(of spec: CommandSpec, specs: [KeySpec], in arguments: CommandArguments) -> [KeyReference]? {
        let variable = specs.contains { $0.flags.contains("variable_flags") }
        // Incomplete specs (MIGRATE's) leave the keys to the command's own finder.
        let incomplete = spec.findKeys != nil && specs.contains { $0.flags.contains("incomplete") }
        if !variable && !incomplete, let found = keys(specs, in: arguments, arity: spec.arity) { return found }
        return spec.findKeys?(arguments) ?? (variable ? nil : [])
    }
}

extension KeySpec {
    /// The keys `specs` find in `arguments`, or nil when the request does not fit them (a key
    /// count that is not a number, a range past the end): Redis's invalid_spec.
    static func keys(_ specs: [KeySpec], in arguments: CommandArguments, arity: Int) -> [KeyReference]? {
        let count = arguments.count
        var found: [KeyReference] = []
        for spec in specs where !spec.isNotKey {
            var first = 0
            switch spec.beginSearch {
            case .index(let position):
                first = position
            case .keyword(let keyword, let startFrom):
                let start = startFrom > 0 ? startFrom : count + startFrom
                let end = startFrom > 0 ? count - 1 : 1
                var index = start
                let word = keyword.lowercased()
                while index != end {
                    if index >= count || index < 1 { break }
                    if arguments.lowercasedString(at: index) == word {
                        first = index + 1
                        break
                    }
                    index += start <= end ? 1 : -1
                }
                if first == 0 { continue }  // keyword not found: no keys from this spec
            case .unknown:
                return nil
            }
            var last: Int
            let step: Int
            switch spec.findKeys {
            case .range(let lastKey, let keyStep, let limit):
                step = keyStep
                if lastKey >= 0 {
                    last = first + lastKey
                } else if limit == 0 {
                    last = count + lastKey
                } else {
                    last = first + ((count - first) / limit + lastKey)
                }
            case .keyNumber(let index, let firstKey, let keyStep):
                step = keyStep
                guard index < count, first + index < count,
                    let keyCount = arguments.int64(at: first + index), keyCount >= 0
                else { return nil }
                first += firstKey
                last = first + Int(keyCount) - 1
            case .unknown:
                return nil
            }
            if last >= count || last < first || first >= count { return nil }
            var position = first
            while position <= last {
                if position < count { found.append(KeyReference(position: position, flags: spec.flags)) }
                position += max(1, step)
            }
        }
        return found
    }
}
