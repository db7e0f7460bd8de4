// The declaration of one configuration parameter: its names, type, default,
// flags, and (for features Redstart does not have yet) which values it must
// refuse. The catalog of every parameter is ConfigCatalog.swift; values live in
// ConfigStore. Parsing and formatting follow Redis 7.0's config.c rules and
// error texts, so CONFIG SET and the config file reject the same things.

/// How a parameter's values are parsed and shown.
public enum ConfigType: Sendable {
    /// `yes` / `no`.
    case bool
    /// An integer within `min...max`; `format` says which spellings are accepted.
    case integer(min: Int64, max: Int64, format: IntegerFormat)
    /// One of `values` (case-insensitive); with `isFlags`, any space-separated
    /// combination of them (shutdown-on-sigint).
    case enumeration([String], isFlags: Bool)
    /// Free text; with `emptyIsNull`, "" means unset (shown as "").
    case string(emptyIsNull: Bool)
    /// Parsed and shown by its own functions (save, bind, client-output-buffer-limit, ...).
    case special(SpecialConfigCodec)
}

/// The spellings an integer parameter accepts, as Redis's MEMORY/PERCENT/OCTAL flags.
public enum IntegerFormat: Sendable {
    /// Plain `string2ll` integers.
    case plain
    /// Memory values: `100`, `1kb`, `5mb`, `1g` (k = 1000, kb = 1024, ...).
    case memory
    /// Memory values or `N%` (stored as -N).
    case memoryOrPercent
    /// Octal numbers (unixsocketperm).
    case octal
}

/// Parse and format functions for a special parameter.
public struct SpecialConfigCodec: Sendable {
    /// Turns the argument(s) into the canonical stored text, or throws the error text.
    public let parse: @Sendable (_ arguments: [String], _ current: String) throws(ConfigError) -> String
    /// Whether the config file may give the directive several times, each adding to the value
    /// (`save 900 1` then `save 300 10`).
    public let accumulatesInFile: Bool
    /// What CONFIG GET shows for a stored text, when it hides part of it (nil: the text itself).
    public let shown: (@Sendable (_ stored: String) -> String)?

    public init(
        accumulatesInFile: Bool = false,
        shown: (@Sendable (_ stored: String) -> String)? = nil,
        parse: @escaping @Sendable (_ arguments: [String], _ current: String) throws(ConfigError) -> String
    ) {
        self.parse = parse
        self.accumulatesInFile = accumulatesInFile
        self.shown = shown
    }
}

/// Why a value was refused; `message` is Redis's text ("argument must be 'yes' or 'no'").
public struct ConfigError: Error, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
}

/// Parameter properties, as Redis's config flags.
public struct ConfigFlags: OptionSet, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Only the config file / command line may set it.
    public static let immutable = ConfigFlags(rawValue: 1 << 0)
    /// Settable at runtime only when enable-protected-configs allows it.
    public static let protected = ConfigFlags(rawValue: 1 << 1)
    /// Its value is redacted from logs, SLOWLOG and MONITOR.
    public static let sensitive = ConfigFlags(rawValue: 1 << 2)
    /// Not matched by CONFIG GET patterns; only by its exact name.
    public static let hidden = ConfigFlags(rawValue: 1 << 3)
    /// Several arguments in the config file, joined with spaces (`save 900 1 300 10`).
    public static let multiArgument = ConfigFlags(rawValue: 1 << 4)
    /// Refused while loading data.
    public static let denyLoading = ConfigFlags(rawValue: 1 << 5)
}

/// One configuration parameter.
public struct ConfigParameter: Sendable {
    /// The canonical name.
    public let name: String
    /// Older names that still work (`slave-read-only` for `replica-read-only`).
    public let aliases: [String]
    public let type: ConfigType
    /// The default, as CONFIG GET shows it.
    public let defaultValue: String
    public let flags: ConfigFlags
    /// For a feature Redstart has not built yet: the reason a value must be refused, or nil.
    public let unsupported: (@Sendable (String) -> String?)?

    public init(
        _ name: String, aliases: [String] = [], _ type: ConfigType, default defaultValue: String,
        flags: ConfigFlags = [], unsupported: (@Sendable (String) -> String?)? = nil
    ) {
        self.name = name
        self.aliases = aliases
        self.type = type
        self.defaultValue = defaultValue
        self.flags = flags
        self.unsupported = unsupported
    }

    /// Only `allowed` is accepted: any other value names a feature not built yet.
    public static func only(_ allowed: String, because reason: String) -> @Sendable (String) -> String? {
        { value in value == allowed ? nil : reason }
    }
}
