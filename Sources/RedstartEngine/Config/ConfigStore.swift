// The current value of every configuration parameter, as canonical text (what
// CONFIG GET shows). Setting goes through the parameter's parser, so the config
// file and CONFIG SET accept and refuse the same values. Settings the hot path
// reads are mirrored into typed fields by Engine.applyConfig.
import RedstartRESP

/// All configuration values, by canonical parameter name.
public final class ConfigStore {
    /// Every parameter, in catalog order.
    public let parameters: [ConfigParameter]
    private var byName: [String: Int] = [:]
    private var values: [String]

    public init(parameters: [ConfigParameter] = ConfigCatalog.parameters) {
        self.parameters = parameters
        self.values = parameters.map(\.defaultValue)
        for (index, parameter) in parameters.enumerated() {
            byName[parameter.name] = index
            for alias in parameter.aliases { byName[alias] = index }
        }
    }

    /// The parameter called `name` (or one of its aliases), case-insensitive.
    public func parameter(named name: String) -> ConfigParameter? {
        byName[name.lowercased()].map { parameters[$0] }
    }

    /// The current text of parameter `name` (canonical name or alias).
    public subscript(name: String) -> String {
        guard let index = byName[name] else { preconditionFailure("unknown config parameter \(name)") }
        return values[index]
    }

    /// The current value of a yes/no parameter.
    public func bool(_ name: String) -> Bool { self[name] == "yes" }

    /// The current value of an integer parameter (a percentage comes back negative).
    public func integer(_ name: String) -> Int64 {
        let text = self[name]
        if text.hasSuffix("%") { return -(Int64(text.dropLast()) ?? 0) }
        if case .integer(_, _, .octal) = parameter(named: name)!.type { return Int64(text, radix: 8) ?? 0 }
        return Int64(text) ?? 0
    }

    /// Validates and stores a value; returns the canonical text stored.
    @discardableResult
    public func set(_ name: String, arguments: [String]) throws(ConfigError) -> String {
        guard let index = byName[name.lowercased()] else { throw ConfigError("unknown parameter") }
        let parameter = parameters[index]
        let canonical = try parameter.canonicalValue(arguments, current: values[index])
        if let reason = parameter.unsupported?(canonical) { throw ConfigError(reason) }
        values[index] = canonical
        return canonical
    }

    /// Stores a value that is already canonical (undoing a failed CONFIG SET).
    public func restore(_ name: String, canonical: String) {
        values[byName[name.lowercased()]!] = canonical
    }

    /// Pairs (name, value) whose name or alias matches `pattern` (Redis glob);
    /// hidden parameters match only their exact name, as in Redis.
    public func matching(_ pattern: String) -> [(String, String)] {
        let lowered = pattern.lowercased()
        if !pattern.contains(where: { "*?[".contains($0) }) {
            guard let index = byName[lowered] else { return [] }
            return [(lowered, shownValue(index))]
        }
        var result: [(String, String)] = []
        let patternBytes = Array(lowered.utf8)
        for (index, parameter) in parameters.enumerated() where !parameter.flags.contains(.hidden) {
            for name in [parameter.name] + parameter.aliases
            where globMatch(pattern: patternBytes, string: Array(name.utf8), ignoreCase: true) {
                result.append((name, shownValue(index)))
            }
        }
        return result
    }

    /// What CONFIG GET shows for parameter `index`.
    private func shownValue(_ index: Int) -> String {
        guard case .special(let codec) = parameters[index].type, let shown = codec.shown else { return values[index] }
        return shown(values[index])
    }

    /// Parameters whose value differs from the default, for CONFIG REWRITE.
    public var changed: [(ConfigParameter, String)] {
        parameters.indices.compactMap { index in
            values[index] == parameters[index].defaultValue ? nil : (parameters[index], values[index])
        }
    }
}
