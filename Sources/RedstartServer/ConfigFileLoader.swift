// Reads redis.conf-style configuration: the config file (with `include`),
// optionally stdin, then the command-line `--directive value` options, all
// applied in that order through the ConfigStore's parsers. A bad line stops
// start-up with Redis's FATAL CONFIG FILE ERROR report naming the line.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine
import RedstartRESP

/// A configuration line that could not be applied.
public struct ConfigLoadError: Error, CustomStringConvertible {
    public let lineNumber: Int?
    public let line: String?
    public let message: String

    /// The report Redis prints before exiting with status 1.
    public var description: String {
        var text = "\n*** FATAL CONFIG FILE ERROR (Redstart \(Engine.redstartVersion), Redis \(Engine.redisVersion)) ***\n"
        if let lineNumber, let line {
            text += "Reading the configuration file, at line \(lineNumber)\n>>> '\(line)'\n"
        }
        return text + message + "\n"
    }
}

/// The configuration sources named on the command line.
public struct CommandLineConfig: Equatable {
    /// The config file, if the first argument names one.
    public var configFile: String?
    /// `-` as first or last argument: read configuration from stdin.
    public var readsStdin = false
    /// The `--directive value ...` options as config-file text, one directive per line.
    public var options = ""

    /// Turns `redstart-server [file] [--name value ...]` into config text the way redis-server does:
    /// each `--name` starts a line, the arguments after it are appended quoted.
    public init(arguments: [String]) {
        var index = 0
        if let first = arguments.first, !first.hasPrefix("-") {
            configFile = first
            index = 1
        }
        var lastOptionHasArgument = true
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "-" && (index == 0 || index == arguments.count - 1) {
                readsStdin = true
            } else if lastOptionHasArgument && argument.hasPrefix("--") {
                if !options.isEmpty { options += "\n" }
                options += String(argument.dropFirst(2)) + " "
                let words = argument.withCString { splitInlineArguments(UnsafeRawBufferPointer(start: $0, count: strlen($0))) } ?? []
                if words.count == 1 {
                    lastOptionHasArgument = false
                    // `--save` followed by another option or at the end means `--save ""`, as in Redis.
                    let next = index + 1 < arguments.count ? arguments[index + 1] : nil
                    if argument.lowercased() == "--save" && (next == nil || next!.hasPrefix("--")) {
                        options += "\"\""
                        lastOptionHasArgument = true
                    }
                } else {
                    lastOptionHasArgument = true
                }
            } else {
                options += quotedRepr(Array(argument.utf8)) + " "
                lastOptionHasArgument = true
            }
            index += 1
        }
    }
}

/// Applies configuration text to a ConfigStore.
public struct ConfigFileLoader {
    let store: ConfigStore
    /// Parameters already set by an earlier line (for directives that accumulate, like `save`).
    private var seen = Set<String>()
    /// Include depth guard.
    private var depth = 0
    /// The `user <name> [rule ...]` lines, applied once the server starts (they need the
    /// command table), in order.
    public private(set) var users: [[[UInt8]]] = []
    /// The command table with the `rename-command` lines applied, in order.
    public private(set) var commands: CommandTable

    public init(store: ConfigStore, commands: CommandTable = RedstartServer.standardCommands()) {
        self.store = store
        self.commands = commands
    }

    /// Loads the file, stdin and options named on the command line.
    public mutating func load(_ commandLine: CommandLineConfig) throws(ConfigLoadError) {
        var text = ""
        if let file = commandLine.configFile {
            text += try Self.readFile(file)
        }
        if commandLine.readsStdin {
            var bytes: [UInt8] = []
            var chunk = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(STDIN_FILENO, &chunk, chunk.count)
                if count <= 0 { break }
                bytes += chunk[0..<count]
            }
            text += String(decoding: bytes, as: UTF8.self)
        }
        if !commandLine.options.isEmpty {
            text += "\n" + commandLine.options
        }
        try apply(text)
    }

    /// Applies every line of `text`.
    public mutating func apply(_ text: String) throws(ConfigLoadError) {
        // Split on bytes: "\r\n" is one Character in Swift, so a String split would miss it.
        let lines = Array(text.utf8).split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let bytes = Array(rawLine.drop { Self.isBlank($0) }.reversed().drop { Self.isBlank($0) }.reversed())
            let line = String(decoding: bytes, as: UTF8.self)
            if bytes.isEmpty || bytes[0] == UInt8(ascii: "#") { continue }
            let failure = { (message: String) in
                ConfigLoadError(lineNumber: offset + 1, line: line, message: message)
            }
            guard let words = bytes.withUnsafeBytes({ splitInlineArguments($0) }) else {
                throw failure("Unbalanced quotes in configuration line")
            }
            guard !words.isEmpty else { continue }
            let name = String(decoding: words[0], as: UTF8.self).lowercased()
            let arguments = words.dropFirst().map { String(decoding: $0, as: UTF8.self) }
            if name == "user" && words.count >= 2 {
                guard !users.contains(where: { $0[0] == words[1] }) else {
                    throw failure(
                        "Error in user declaration '\(arguments[0])': Duplicate user found. A user can only be defined once in config files")
                }
                users.append(Array(words.dropFirst()))
                continue
            }
            // rename-command <name> <new name>: the command answers to the new name only; an
            // empty new name removes it. Config files only, as in Redis; names are bytes.
            if name == "rename-command" && words.count == 3 {
                do throws(CommandTable.RenameError) {
                    commands = try commands.renaming(words[1], to: words[2])
                } catch {
                    throw failure(error.message)
                }
                continue
            }
            do throws(ConfigLoadError) {
                try applyDirective(name, arguments)
            } catch {
                // An error inside an included file already names its own line.
                throw error.lineNumber != nil ? error : failure(error.message)
            }
        }
    }

    private mutating func applyDirective(_ name: String, _ arguments: [String]) throws(ConfigLoadError) {
        if let parameter = store.parameter(named: name) {
            let isMulti = parameter.flags.contains(.multiArgument)
            if !isMulti && arguments.count != 1 {
                throw ConfigLoadError(lineNumber: nil, line: nil, message: "wrong number of arguments")
            }
            var values = arguments
            // A multi-argument directive given as one quoted string is split at spaces ("--save '900 1'").
            if isMulti && arguments.count == 1 && !arguments[0].isEmpty {
                values = arguments[0].split(separator: " ").map(String.init)
            }
            if isMulti && arguments.count == 1 && arguments[0].isEmpty { values = [] }
            do throws(ConfigError) {
                let previous = store[parameter.name]
                var canonical = try store.set(parameter.name, arguments: values)
                if case .special(let codec) = parameter.type, codec.accumulatesInFile,
                    seen.contains(parameter.name), !canonical.isEmpty, !previous.isEmpty
                {
                    // Later `save` lines add to the earlier ones; `save ""` clears them all.
                    canonical = previous + " " + canonical
                    store.restore(parameter.name, canonical: canonical)
                }
            } catch {
                throw ConfigLoadError(lineNumber: nil, line: nil, message: error.message)
            }
            seen.insert(parameter.name)
            return
        }
        // Directives Redis still accepts and ignores.
        if ["list-max-ziplist-entries", "list-max-ziplist-value", "lua-replicate-commands"].contains(name)
            && arguments.count == 1
        {
            return
        }
        if name == "include" && arguments.count == 1 {
            guard depth < 16 else {
                throw ConfigLoadError(lineNumber: nil, line: nil, message: "include nested too deeply")
            }
            var nested = self
            nested.depth += 1
            try nested.apply(try Self.readFile(arguments[0]))
            seen = nested.seen
            users = nested.users
            commands = nested.commands
            return
        }
        // A lone `sentinel` line is Redis's way of asking for Sentinel mode, handled before
        // the file is read; its directives belong to Sentinel's own config (Redis's text).
        if name == "sentinel" && !arguments.isEmpty {
            throw ConfigLoadError(lineNumber: nil, line: nil, message: "sentinel directive while not in sentinel mode")
        }
        if name == "sentinel" { return }
        if name == "loadmodule" && !arguments.isEmpty {
            throw ConfigLoadError(
                lineNumber: nil, line: nil,
                message: "Module \(arguments[0]) failed to load: Redstart cannot load modules built for Redis's module API")
        }
        throw ConfigLoadError(lineNumber: nil, line: nil, message: "Bad directive or wrong number of arguments")
    }

    private static func isBlank(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// The whole content of a config file.
    static func readFile(_ path: String) throws(ConfigLoadError) -> String {
        guard let file = fopen(path, "r") else {
            let reason = String(cString: strerror(errno))
            throw ConfigLoadError(lineNumber: nil, line: nil, message: "Fatal error, can't open config file '\(path)': \(reason)")
        }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = fread(&chunk, 1, chunk.count, file)
            if count <= 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

