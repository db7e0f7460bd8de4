// redstart-cli: redis-cli's command-line tool for Redstart (and Redis) servers: the
// one-shot, interactive and tool modes. The order of work is redis-cli 7.0.15's main():
// options, REDISCLI_AUTH, then the tool modes (--latency ... --scan), the interactive
// mode when there is no command, --eval or the command; a connection attempt that fails
// before a one-shot command is retried once, loudly (see OneShot).
import Glibc

signal(SIGPIPE, SIG_IGN)
let stdoutIsTerminal = isatty(STDOUT_FILENO) != 0 || getenv("FAKETTY") != nil
var options = CLIOptions(stdoutIsTerminal: stdoutIsTerminal)
// argv as bytes: CommandLine.arguments would repair non-UTF-8 arguments.
let arguments: [[UInt8]] = (1..<Int(CommandLine.argc)).map { index in
    let pointer = CommandLine.unsafeArgv[index]!
    return Array(UnsafeRawBufferPointer(start: pointer, count: strlen(pointer)))
}
let firstCommandWord: Int
do {
    firstCommandWord = try options.parse(arguments)
    try options.validate()
} catch {
    if error.stream == .stdout { CLIOutput.write(error.message) } else { CLIOutput.error(error.message) }
    CLIOutput.exit(error.code)
}
let commandWords = Array(arguments[firstCommandWord...])
let countGiven = arguments[..<firstCommandWord].contains(Array("--count".utf8))

// The environment's password never overrides -a and brings no warning.
if options.password == nil, let secret = getenv("REDISCLI_AUTH") {
    options.password = Array(String(cString: secret).utf8)
}
if let mode = options.unsupportedMode {
    CLIOutput.error("redstart-cli: \(mode) is not supported yet\n")
    CLIOutput.exit(1)
}
if options.askPassword {
    CLIOutput.error("redstart-cli: --askpass is not supported yet\n")
    CLIOutput.exit(1)
}

/// Connects for a mode that needs the connection (exit 1 with the message otherwise).
func connectOrExit(_ options: CLIOptions) -> CLIConnection {
    let (connection, isReady) = CLIConnection.open(options, quiet: false)
    guard let connection, isReady else { CLIOutput.exit(1) }
    return connection
}

// The tool modes, in redis-cli's order: the first one asked for runs.
let tools = options.tools
let scanCount = countGiven ? options.scanCount : nil
if tools.latency {
    LatencyMode.run(connectOrExit(options), options)
}
if tools.latencyDistribution {
    LatencyDistribution.run(connectOrExit(options), options)
}
if tools.replica {
    ReplicaMode.run(connectOrExit(options), options)
}
if tools.rdb || tools.functionsOnly {
    RDBTransfer.run(connectOrExit(options), options)
}
if options.pipe {
    MassInsertion.run(connectOrExit(options), options)
}
if tools.bigKeys {
    KeySizeSurvey.run(connectOrExit(options), options, count: scanCount, memory: false)
}
if tools.memKeys {
    KeySizeSurvey.run(connectOrExit(options), options, count: scanCount, memory: true)
}
if tools.hotKeys {
    HotKeys.run(connectOrExit(options), options, count: scanCount)
}
if tools.stat {
    StatMode.run(connectOrExit(options), options)
}
if options.scan {
    KeyScan.run(connectOrExit(options), options, countGiven: countGiven)
}
if let keys = tools.lruTestKeys {
    LRUTestMode.run(connectOrExit(options), keys: keys)
}
if let seconds = tools.intrinsicLatencySeconds {
    IntrinsicLatency.run(seconds: seconds)
}
if commandWords.isEmpty && options.evalFile == nil {
    InteractiveSession(options: options).run()
}
if let file = options.evalFile {
    var oneShot = OneShot(options: options, connection: connectOrExit(options))
    CLIOutput.exit(EvalMode.run(file: file, arguments: commandWords, oneShot: &oneShot))
}
var oneShot = OneShot(options: options, connection: CLIConnection.open(options, quiet: true).connection)
CLIOutput.exit(oneShot.run(commandWords))
