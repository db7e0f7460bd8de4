// redstart-cli's settings and the parser that fills them from the command line. The
// parser follows redis-cli 7.0.15's rules: options are matched exactly, a value-taking
// option given as the last word is "unrecognized", numbers are read with C's atoi/
// strtoll/atof (so "-p abc" is port 0), and the options end at the first word that does
// not start with '-' (the command). Checks that need every option (-2 with -3, the
// password warning) run after the loop, in redis-cli's order.
// To add an option: a field here, a case in `parse`, a line in CLIUsage.
import Glibc
import RedstartRESP

/// Everything the command line sets.
struct CLIOptions {
    /// How replies are printed (redis-cli's OUTPUT_STANDARD / OUTPUT_RAW / OUTPUT_CSV /
    /// OUTPUT_JSON / OUTPUT_QUOTED_JSON).
    enum OutputFormat {
        case standard, raw, csv, json, quotedJSON
    }

    var host: [UInt8] = Array("127.0.0.1".utf8)
    var port: Int32 = 6379
    var socketPath: String?
    var user: [UInt8]?
    var password: [UInt8]?
    var database: Int32 = 0
    var askPassword = false
    var noAuthWarning = false

    var resp2 = false
    var resp3 = false
    /// --json and --quoted-json ask for RESP3 unless -3 did (redis-cli's resp3 = 2): a
    /// server that refuses HELLO 3 is then used over RESP2.
    var resp3Implied = false
    var output: OutputFormat
    var showPushes: Bool
    var quotedInput = false
    /// `-d`: between the elements of an aggregate in raw output.
    var bulkDelimiter: [UInt8] = [0x0A]
    /// `-D`: after each reply in raw output.
    var replyDelimiter: [UInt8] = [0x0A]

    var stdinLastArgument = false
    var stdinTag: [UInt8]?
    var repeatCount: Int64 = 1
    /// `-i`, in microseconds.
    var intervalMicroseconds: Int64 = 0
    var setErrorCode = false
    var verbose = false
    var clusterMode = false

    var tls = TLSOptions()

    var pipe = false
    var pipeTimeoutSeconds: Int32 = 30
    var scan = false
    var pattern: [UInt8]?
    var scanCount: Int32 = 10
    var evalFile: String?
    /// A redis-cli mode redstart-cli does not have (--ldb, --cluster).
    var unsupportedMode: String?

    var tools = ToolOptions()

    /// The tool modes (--latency, --bigkeys, --rdb, ...): redis-cli runs the first one set
    /// in main.swift's order, whatever the order on the command line.
    struct ToolOptions {
        var latency = false
        /// `--latency-history`: --latency with a line per interval.
        var latencyHistory = false
        var latencyDistribution = false
        /// `--mono`: --latency-dist in grey levels.
        var monochrome = false
        var replica = false
        /// `--rdb <file>` (or `--functions-rdb <file>`, with `functionsOnly`).
        var rdbFile: String?
        var rdb = false
        var functionsOnly = false
        var bigKeys = false
        var memKeys = false
        /// `--memkeys-samples`: MEMORY USAGE's SAMPLES (0: the server's default).
        var memKeysSamples: Int32 = 0
        var hotKeys = false
        var stat = false
        /// `--intrinsic-latency <seconds>`.
        var intrinsicLatencySeconds: Int32?
        /// `--lru-test <keys>`.
        var lruTestKeys: Int64?
    }

    /// TLS settings (`--tls`, `--sni`, `--cacert`, ...).
    struct TLSOptions {
        var enabled = false
        var sni: String?
        var caCertificateFile: String?
        var caCertificateDirectory: String?
        var certificateFile: String?
        var keyFile: String?
        var ciphers: String?
        var cipherSuites: String?
        var insecure = false
    }

    /// Defaults that depend on stdout: redis-cli prints raw replies and hides pushes
    /// unless stdout is a terminal (or FAKETTY is set).
    init(stdoutIsTerminal: Bool) {
        output = stdoutIsTerminal ? .standard : .raw
        showPushes = stdoutIsTerminal
    }
}

/// Why parsing stopped the program: what to print, where, and the exit code.
struct CLIStop: Error {
    enum Stream { case stdout, stderr }
    var message: String
    var stream: Stream = .stderr
    var code: Int32 = 1
}

extension CLIOptions {
    /// Parses `arguments` (without the program name); returns the index of the first
    /// command word. Warnings go to stderr as they arise; a stop is thrown.
    mutating func parse(_ arguments: [[UInt8]]) throws(CLIStop) -> Int {
        var index = 0
        while index < arguments.count {
            let word = String(decoding: arguments[index], as: UTF8.self)
            let isLast = index == arguments.count - 1
            // A value-taking option as the last word falls through to "unrecognized".
            func value() -> [UInt8]? {
                guard !isLast else { return nil }
                index += 1
                return arguments[index]
            }
            switch word {
            case "-h" where isLast, "--help":
                throw CLIStop(message: CLIUsage.text, stream: .stdout, code: 0)
            case "-v", "--version":
                throw CLIStop(message: "redstart-cli \(CLIUsage.version)\n", stream: .stdout, code: 0)
            case "-x": stdinLastArgument = true
            case "-2": resp2 = true
            case "-3":
                resp3 = true
                resp3Implied = false
            case "-e": setErrorCode = true
            case "-c": clusterMode = true
            case "--verbose": verbose = true
            case "--no-auth-warning": noAuthWarning = true
            case "--askpass": askPassword = true
            case "--raw": output = .raw
            case "--no-raw": output = .standard
            case "--csv": output = .csv
            case "--json", "--quoted-json":
                output = word == "--json" ? .json : .quotedJSON
                if !resp3 { resp3Implied = true }
            case "--quoted-input": quotedInput = true
            case "--pipe": pipe = true
            case "--scan": scan = true
            case "--tls": tls.enabled = true
            case "--insecure": tls.insecure = true
            case "--latency": tools.latency = true
            case "--latency-history":
                tools.latency = true
                tools.latencyHistory = true
            case "--latency-dist": tools.latencyDistribution = true
            case "--mono": tools.monochrome = true
            case "--slave", "--replica": tools.replica = true
            case "--stat": tools.stat = true
            case "--bigkeys": tools.bigKeys = true
            case "--memkeys":
                tools.memKeys = true
                tools.memKeysSamples = 0
            case "--hotkeys": tools.hotKeys = true
            case "--ldb", "--ldb-sync-mode":
                unsupportedMode = word
            default:
                guard arguments[index].first == UInt8(ascii: "-") else { return index }
                guard let argument = value() else { throw Self.unrecognized(word) }
                try apply(word, argument)
            }
            index += 1
        }
        return index
    }

    /// The options that take a value.
    private mutating func apply(_ option: String, _ bytes: [UInt8]) throws(CLIStop) {
        let argument = String(decoding: bytes, as: UTF8.self)
        switch option {
        case "-h": host = bytes
        case "-p": port = atoi(argument)
        case "-s": socketPath = argument
        case "-a", "--pass": password = bytes
        case "--user": user = bytes
        case "-u": try RedisURI.apply(bytes, to: &self)
        case "-n": database = atoi(argument)
        case "-r": repeatCount = Int64(strtoll(argument, nil, 10))
        // redis-cli stores seconds * 1e6 in a long: the fraction of a microsecond is cut off.
        case "-i": intervalMicroseconds = Int64(atof(argument) * 1_000_000)
        case "-X": stdinTag = bytes
        case "-d": bulkDelimiter = bytes
        case "-D": replyDelimiter = bytes
        case "--sni": tls.sni = argument
        case "--cacert": tls.caCertificateFile = argument
        case "--cacertdir": tls.caCertificateDirectory = argument
        case "--cert": tls.certificateFile = argument
        case "--key": tls.keyFile = argument
        case "--tls-ciphers": tls.ciphers = argument
        case "--tls-ciphersuites": tls.cipherSuites = argument
        case "--pipe-timeout": pipeTimeoutSeconds = atoi(argument)
        case "--pattern": pattern = bytes
        case "--quoted-pattern":
            guard let unquoted = unquoteCString(bytes) else {
                throw CLIStop(message: "Invalid quoted string specified for --quoted-pattern.\n")
            }
            pattern = unquoted
        // redis-cli 7.2's option (7.0.15 always scans with the server's default count).
        case "--count": scanCount = atoi(argument)
        case "--eval": evalFile = argument
        case "--show-pushes":
            if argument.lowercased().hasPrefix("n") {
                showPushes = false
            } else if argument.lowercased().hasPrefix("y") {
                showPushes = true
            } else {
                CLIOutput.error("Unknown --show-pushes value '\(argument)' (valid: '[y]es', '[n]o')\n")
            }
        case "--rdb":
            tools.rdb = true
            tools.rdbFile = argument
        case "--functions-rdb":
            tools.functionsOnly = true
            tools.rdbFile = argument
        // redis-cli reads this value even when it is missing (and crashes); here a
        // missing value is "Unrecognized option".
        case "--memkeys-samples":
            tools.memKeys = true
            tools.memKeysSamples = atoi(argument)
        case "--intrinsic-latency": tools.intrinsicLatencySeconds = atoi(argument)
        // strtoll: what is not a number is 0 keys, as in redis-cli.
        case "--lru-test": tools.lruTestKeys = Int64(strtoll(argument, nil, 10))
        case "--cluster":
            unsupportedMode = option
        default:
            throw Self.unrecognized(option)
        }
    }

    private static func unrecognized(_ word: String) -> CLIStop {
        CLIStop(message: "Unrecognized option or bad number of args for: '\(word)'\n")
    }

    /// The checks redis-cli makes once every option is read, in its order.
    func validate() throws(CLIStop) {
        if socketPath != nil && clusterMode {
            throw CLIStop(message: "Options -c and -s are mutually exclusive.\n")
        }
        if resp2 && resp3 {
            throw CLIStop(message: "Options -2 and -3 are mutually exclusive.\n")
        }
        if !noAuthWarning && password != nil {
            CLIOutput.error(
                "Warning: Using a password with '-a' or '-u' option on the command line interface may not be safe.\n")
        }
        if tools.rdb && tools.functionsOnly {
            throw CLIStop(message: "Option --functions-rdb and --rdb are mutually exclusive.\n")
        }
        if stdinLastArgument && stdinTag != nil {
            throw CLIStop(message: "Options -x and -X are mutually exclusive.\n")
        }
    }
}

/// One argument in sdssplitargs's quoting ("a\x00b", 'x'), as --quoted-input and
/// --quoted-pattern read them; nil unless it is exactly one well-formed word.
func unquoteCString(_ text: [UInt8]) -> [UInt8]? {
    var bytes = text
    bytes.append(0)
    let words = bytes.withUnsafeBytes { splitInlineArguments($0) }
    guard let words, words.count == 1 else { return nil }
    return words[0]
}
