// redstart-server [config-file] [--directive value ...]: load the configuration
// as redis-server does, start serving, and exit when shut down. Exit status 1
// on a bad configuration or when the server cannot start.
#if canImport(Glibc)
import Glibc
#endif
import CRedstartAllocator
import RedstartEngine
import RedstartServer

// The heap is jemalloc, as Redis's, and used_memory is what this executable's counting
// malloc says (as Redis's zmalloc).
ProcessResources.allocator = ProcessResources.Allocator(
    name: String(cString: redstart_allocator_name()),
    allocatedBytes: { Int(redstart_allocated_bytes()) },
    statistics: {
        var figures = redstart_allocator_statistics()
        guard redstart_allocator_statistics(&figures) != 0 else { return nil }
        return (Int(figures.allocated), Int(figures.active), Int(figures.resident))
    },
    purge: { redstart_allocator_purge() != 0 },
    report: {
        guard let text = redstart_allocator_report() else { return "" }
        defer { free(text) }
        return String(cString: text)
    },
    numberSetting: { name, value in
        var old: Int64 = 0
        var wasRead: Int32 = 0
        let result = redstart_allocator_control_number(name, &old, &wasRead, value == nil ? 0 : 1, value ?? 0)
        if result != 0 { return .failed(String(cString: strerror(result))) }
        return wasRead != 0 ? .integer(old) : .written
    },
    stringSetting: { name, value in
        // As Redis: the old value is read first; a setting that cannot be read may still be
        // written (write-only ones), and VOID calls a control that takes no value.
        var old: UnsafePointer<CChar>?
        let read = redstart_allocator_read_string(name, &old)
        let oldText = read == 0 ? old.map { String(cString: $0) } : nil
        if read != 0 && !(read == EPERM && value != nil) { return .failed(String(cString: strerror(read))) }
        var written: Int32 = 0
        if let value {
            written = value == "VOID" ? redstart_allocator_write_string(name, nil) : redstart_allocator_write_string(name, value)
        }
        if let oldText { return .text(oldText) }
        return written != 0 ? .failed(String(cString: strerror(written))) : .written
    })

let arguments = Array(CommandLine.arguments.dropFirst())

// The child that writes a background snapshot (BackgroundWriterProcess).
if arguments.count == 4 && arguments[0] == BackgroundWriterProcess.flag, let parent = Int32(arguments[2]) {
    BackgroundWriterProcess.run(kind: arguments[1], parent: parent, directory: arguments[3])
}

if let first = arguments.first {
    if first == "-v" || first == "--version" {
        print("Redstart server v=\(Engine.redstartVersion) (Redis \(Engine.redisVersion) compatible) bits=\(MemoryLayout<Int>.size * 8)")
        exit(0)
    }
    if first == "-h" || first == "--help" {
        print(
            """
            Usage: redstart-server [/path/to/redis.conf] [options] [-]
                   redstart-server - (read config from stdin)
                   redstart-server -v or --version
                   redstart-server -h or --help

            Examples:
                   redstart-server (run the server with default config)
                   redstart-server /etc/redis/6379.conf
                   redstart-server --port 7777
                   redstart-server /etc/myredis.conf --loglevel verbose -
                   redstart-server --port 7777 --save "" --appendonly no
            """)
        exit(0)
    }
}

// Redis enters Sentinel mode on `--sentinel` anywhere on its command line. Redstart has no
// Sentinel of its own: redis-sentinel monitors and fails over Redstart as it does Redis.
if arguments.contains("--sentinel") {
    var message = Array("Redstart has no Sentinel mode: run redis-sentinel, which monitors Redstart servers as it does Redis servers.\n".utf8)
    _ = write(STDERR_FILENO, &message, message.count)
    exit(1)
}

let commandLine = CommandLineConfig(arguments: arguments)
let store = ConfigStore()
var loader = ConfigFileLoader(store: store)
do {
    try loader.load(commandLine)
} catch {
    var message = Array(error.description.utf8)
    _ = write(STDERR_FILENO, &message, message.count)
    exit(1)
}

// Before any thread starts (the server's event loop and writer threads are made below).
Daemonization.detachIfConfigured(store)
ProcessTitle.prepare(store)

var executable = CommandLine.arguments.first ?? "redstart-server"
if !executable.hasPrefix("/") {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
    if length > 0 { executable = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
}
var configFile = commandLine.configFile
if let file = configFile, !file.hasPrefix("/") {
    var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
    if realpath(file, &buffer) != nil {
        configFile = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}

let server = RedstartServer(config: store, commands: loader.commands, configFile: configFile, executable: executable)
server.configuredUsers = loader.users
do {
    try server.start()
} catch {
    server.log.write(.warning, error.description)
    exit(1)
}
server.waitUntilStopped()
exit(0)
