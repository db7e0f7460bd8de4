// The child process that puts a background snapshot on disk (BGSAVE, AOF
// rewrite), as Redis's fork child does. The server serializes the snapshot
// itself (DatasetSnapshot, no fork: see ARCHITECTURE.md) and pipes the bytes
// to a child started from its own executable, which writes them to
// `temp-<pid>.rdb` or `temp-rewriteaof-bg-<pid>.aof` in `dir`, fsyncs and
// exits 0; the server then renames the file into place. What Redis's tools
// and operators expect of a save therefore holds: the child shows under the
// server (`pgrep -P`), INFO counts it in total_forks, killing it aborts the
// save cleanly (the server sees it exit by the signal, removes its file and
// reports the failure), and a disk that hangs in fsync hangs the child, not
// the server.
#if canImport(Glibc)
import Glibc
#endif
import CRedstartShims

/// Starting and being the background writer process.
public enum BackgroundWriterProcess {
    public enum Kind: String, Sendable {
        case rdb, aof

        /// The process title, as Redis's children name themselves.
        var title: String { self == .rdb ? "redstart-rdb-bgsave" : "redstart-aof-rewrite" }
    }

    /// The argument that makes redstart-server this child.
    public static let flag = "--background-writer"

    /// The temporary file a child with `pid` writes.
    static func temporaryName(_ kind: Kind, pid: pid_t) -> String {
        kind == .rdb ? "temp-\(pid).rdb" : "temp-rewriteaof-bg-\(pid).aof"
    }

    /// A started child: its pid, the write end of its input, and the read end of what it
    /// reports (its standard error: the reason it failed, for the server's log).
    struct Started {
        let pid: pid_t
        let input: CInt
        let messages: CInt
    }

    static let oomScoreVariable = "REDSTART_OOM_SCORE_ADJ"
    /// Set to 1 when the child syncs its file every 4 MB (rdb-save-incremental-fsync,
    /// aof-rewrite-incremental-fsync), as Redis's rio does: the kernel never holds a
    /// whole snapshot's dirty pages, to flush in one long stall at the end.
    static let incrementalSyncVariable = "REDSTART_INCREMENTAL_FSYNC"
    static let incrementalSyncBytes = 4 << 20

    /// What the child is told through its environment.
    struct Settings {
        /// Its oom_score_adj (the background class of oom-score-adj-values).
        var oomScore: Int?
        /// bgsave_cpulist or aof_rewrite_cpulist.
        var cpuList = ""
        var syncsIncrementally = false
        /// Its process title (set-proc-title), already expanded.
        var title: String?
    }

    static let titleVariable = "REDSTART_PROCESS_TITLE"

    /// Starts a child of `kind` writing in `directory`, or returns the reason it could not
    /// start.
    static func spawn(_ kind: Kind, directory: String, settings: Settings) -> Result<Started, SpawnFailure> {
        var ends: [CInt] = [-1, -1]
        var report: [CInt] = [-1, -1]
        guard pipe(&ends) == 0 else { return .failure(SpawnFailure(errno)) }
        guard pipe(&report) == 0 else {
            let code = errno
            ends.forEach { close($0) }
            return .failure(SpawnFailure(code))
        }
        for end in ends + report { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        _ = fcntl(report[0], F_SETFL, O_NONBLOCK)
        // A larger pipe (F_SETPIPE_SZ): fewer wake-ups of the writer thread and the child.
        _ = fcntl(ends[1], 1031, 1 << 20)
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, ends[0], STDIN_FILENO)
        posix_spawn_file_actions_adddup2(&actions, report[1], STDERR_FILENO)
        let arguments = [kind.title, flag, kind.rawValue, String(getpid()), directory]
        var argv: [UnsafeMutablePointer<CChar>?] = arguments.map { strdup($0) } + [nil]
        defer { for pointer in argv { free(pointer) } }
        // The child's settings, which it applies itself first thing.
        let ours = [oomScoreVariable, CPUAffinity.childVariable, incrementalSyncVariable, titleVariable].map { $0 + "=" }
        var environment: [UnsafeMutablePointer<CChar>?] = []
        var index = 0
        while let entry = environ[index] {
            let text = String(cString: entry)
            if !ours.contains(where: { text.hasPrefix($0) }) { environment.append(strdup(entry)) }
            index += 1
        }
        if let score = settings.oomScore { environment.append(strdup("\(oomScoreVariable)=\(score)")) }
        if !settings.cpuList.isEmpty { environment.append(strdup("\(CPUAffinity.childVariable)=\(settings.cpuList)")) }
        if settings.syncsIncrementally { environment.append(strdup("\(incrementalSyncVariable)=1")) }
        if let title = settings.title { environment.append(strdup("\(titleVariable)=\(title)")) }
        environment.append(nil)
        defer { for pointer in environment { free(pointer) } }
        var pid: pid_t = 0
        let status = posix_spawn(&pid, "/proc/self/exe", &actions, nil, &argv, &environment)
        close(ends[0])
        close(report[1])
        guard status == 0 else {
            close(ends[1])
            close(report[0])
            return .failure(SpawnFailure(status))
        }
        return .success(Started(pid: pid, input: ends[1], messages: report[0]))
    }

    /// What a child wrote to its standard error, line by line (read once it exited).
    static func messages(from descriptor: CInt) -> [String] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 65536 {
            let count = read(descriptor, &chunk, chunk.count)
            if count <= 0 { break }
            bytes += chunk[0..<count]
        }
        close(descriptor)
        return String(decoding: bytes, as: UTF8.self).split(separator: "\n").map(String.init)
    }

    /// The child's life: copies standard input to its temporary file in the working
    /// directory, fsyncs it and exits 0; exits 1 (with the reason on standard error) when
    /// the file cannot be written.
    /// A server that dies takes its child with it (the file stays, as an unfinished save's
    /// does; the next start removes it).
    public static func run(kind name: String, parent: pid_t, directory: String) -> Never {
        guard let kind = Kind(rawValue: name) else { exit(2) }
        if let title = getenv(titleVariable) { ProcessTitle.set(String(cString: title)) }
        _ = redstart_die_with_parent()
        if let score = getenv(oomScoreVariable).flatMap({ Int(String(cString: $0)) }) {
            OOMScoreAdjustment.write(score)
        }
        if let list = getenv(CPUAffinity.childVariable) {
            CPUAffinity.bind(to: String(cString: list), naming: kind == .rdb ? "bgsave_cpulist" : "aof_rewrite_cpulist", log: nil)
        }
        let syncsIncrementally = getenv(incrementalSyncVariable) != nil
        if getppid() != parent { exit(1) }
        // By its path, not the server's working directory: `dir` may have been replaced.
        _ = chdir(directory)
        // Nothing of the server's but the pipe: no sockets, no files (whatever was opened
        // without close-on-exec).
        var limit = rlimit()
        let highest = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? min(Int(limit.rlim_cur), 1 << 20) : 4096
        for descriptor in 3..<max(highest, 4) { close(CInt(descriptor)) }
        signal(SIGPIPE, SIG_DFL)
        let path = temporaryName(kind, pid: getpid())
        let output = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard output >= 0 else {
            let reason = String(cString: strerror(errno))
            report(
                kind == .rdb
                    ? "Failed opening the temp RDB file \(path) (in server root dir \(directory)) for saving: \(reason)"
                    : "Opening the temp file for AOF rewrite in rewriteAppendOnlyFile(): \(reason)")
            exit(1)
        }
        let chunk = 1 << 20
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: chunk, alignment: 16)
        var unsynced = 0
        while true {
            let count = read(STDIN_FILENO, buffer, chunk)
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                fail("reading the snapshot")
            }
            let error = writeFully(output, UnsafeRawBufferPointer(start: buffer, count: count)).error
            if error != 0 {
                errno = error
                fail("writing \(path)")
            }
            unsynced += count
            if syncsIncrementally && unsynced >= incrementalSyncBytes {
                guard fdatasync(output) == 0 else { fail("syncing \(path)") }
                unsynced = 0
            }
        }
        guard fsync(output) == 0, close(output) == 0 else { fail("syncing \(path)") }
        exit(0)
    }

    private static func fail(_ what: String) -> Never {
        report("Write error \(what): \(String(cString: strerror(errno)))")
        exit(1)
    }

    /// A line for the server's log (the server reads the child's standard error).
    private static func report(_ line: String) {
        _ = (line + "\n").withCString { write(STDERR_FILENO, $0, strlen($0)) }
    }
}

/// Why a background writer could not be started (an errno).
struct SpawnFailure: Error, CustomStringConvertible {
    let code: CInt
    init(_ code: CInt) { self.code = code }
    var description: String { String(cString: strerror(code)) }
}
