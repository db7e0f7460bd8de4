// Parsing and formatting of config values, with Redis 7.0's rules and error
// texts: yes/no booleans, memory units (1k = 1000, 1kb = 1024, ...), percent,
// octal, enumerations and flag sets.
import RedstartRESP

extension ConfigParameter {
    /// Parses `arguments` (one, or several for multi-argument parameters) into the
    /// canonical text CONFIG GET shows. `current` is the value before the change.
    public func canonicalValue(_ arguments: [String], current: String) throws(ConfigError) -> String {
        switch type {
        case .bool:
            switch arguments.joined(separator: " ").lowercased() {
            case "yes": return "yes"
            case "no": return "no"
            default: throw ConfigError("argument must be 'yes' or 'no'")
            }
        case .integer(let min, let max, let format):
            let value = try Self.parseInteger(arguments.joined(separator: " "), format: format)
            if value < 0 && format == .memoryOrPercent {
                if value < min { throw ConfigError("percentage argument must be less or equal to \(-min)") }
                return "\(-value)%"
            }
            guard value >= min && value <= max else {
                if format == .octal {
                    throw ConfigError("argument must be between \(String(min, radix: 8)) and \(String(max, radix: 8)) inclusive")
                }
                throw ConfigError("argument must be between \(min) and \(max) inclusive")
            }
            return format == .octal ? String(value, radix: 8) : String(value)
        case .enumeration(let declared, let isFlags):
            // A value written "name=shown" is a synonym that CONFIG GET shows as `shown`
            // (oom-score-adj "relative" reads back as "yes", as in Redis).
            let names = declared.map { String($0.split(separator: "=")[0]) }
            let shown = declared.map { String($0.split(separator: "=").last!) }
            let words = arguments.flatMap { $0.split(separator: " ").map { $0.lowercased() } }
            let enumError = ConfigError("argument(s) must be one of the following: " + names.joined(separator: ", "))
            if isFlags {
                guard !words.isEmpty, words.allSatisfy(names.contains) else { throw enumError }
                if words.contains("save") && words.contains("nosave") {
                    throw ConfigError("shutdown options SAVE and NOSAVE can't be used simultaneously")
                }
                // Shown in declaration order; the first name is the empty set of flags (Redis's
                // "default") and only shows when no other flag is set.
                let set = names.indices.filter { $0 > 0 && words.contains(names[$0]) }.map { shown[$0] }
                return set.isEmpty ? shown[0] : set.joined(separator: " ")
            }
            guard words.count == 1, let position = names.firstIndex(of: words[0]) else { throw enumError }
            return shown[position]
        case .string:
            return arguments.joined(separator: " ")
        case .special(let codec):
            return try codec.parse(arguments, current)
        }
    }

    /// Parses an integer value as Redis's numericParseString does for `format`.
    static func parseInteger(_ text: String, format: IntegerFormat) throws(ConfigError) -> Int64 {
        switch format {
        case .plain:
            guard let value = parseRedisInteger(Array(text.utf8)) else {
                throw ConfigError("argument couldn't be parsed into an integer")
            }
            return value
        case .memory:
            guard let value = parseMemory(text) else { throw ConfigError("argument must be a memory value") }
            return value
        case .memoryOrPercent:
            if let value = parseMemory(text) { return value }
            if text.count > 1, text.hasSuffix("%"), let percent = parseRedisInteger(Array(text.dropLast().utf8)),
                percent >= 0
            {
                return -percent
            }
            throw ConfigError("argument must be a memory or percent value")
        case .octal:
            guard !text.isEmpty, let value = Int64(text, radix: 8) else {
                throw ConfigError("argument couldn't be parsed as an octal number")
            }
            return value
        }
    }
}

/// Parses a memory value as Redis's memtoull: digits then an optional unit
/// (b, k, kb, m, mb, g, gb; case-insensitive; k = 1000, kb = 1024).
public func parseMemory(_ text: String) -> Int64? {
    let lower = text.lowercased()
    let units: [(String, Int64)] = [
        ("kb", 1024), ("mb", 1024 * 1024), ("gb", 1024 * 1024 * 1024),
        ("k", 1000), ("m", 1000 * 1000), ("g", 1000 * 1000 * 1000), ("b", 1),
    ]
    var digits = Substring(lower)
    var multiplier: Int64 = 1
    for (suffix, factor) in units where lower.hasSuffix(suffix) {
        digits = lower.dropLast(suffix.count)
        multiplier = factor
        break
    }
    // memtoull reads the number with strtoull: digits only, no sign needed.
    guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
        let value = UInt64(digits)
    else { return nil }
    let (product, overflow) = value.multipliedReportingOverflow(by: UInt64(multiplier))
    guard !overflow, product <= UInt64(Int64.max) else { return nil }
    return Int64(product)
}
