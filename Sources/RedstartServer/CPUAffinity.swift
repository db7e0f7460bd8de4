// server_cpulist, bio_cpulist, bgsave_cpulist and aof_rewrite_cpulist, as Redis
// applies them: the event loop thread (Redis's main thread) to the first, the
// background threads (lazy freeing, AOF fsync) to the second, a snapshot's writer
// thread and child process to the third or fourth. The lists are read once at
// start-up (they are immutable settings, as in Redis); a list that does not parse
// is logged and leaves the thread where it was.
import CRedstartShims
import NIOPosix
import RedstartEngine

#if canImport(Glibc)
import Glibc
#endif

enum CPUAffinity {
    /// The environment variable that carries a snapshot child's list.
    static let childVariable = "REDSTART_CPULIST"

    /// Keeps the CPUs the process started with (before any thread is bound elsewhere).
    static func rememberInitialCPUs() { redstart_cpu_affinity_remember() }

    /// Binds the calling thread to `setting`'s list, when it has one.
    static func bindCurrentThread(_ setting: String, of config: ConfigStore, log: ServerLog) {
        let list = config[setting]
        guard !list.isEmpty else { return }
        bind(to: list, naming: setting, log: log)
    }

    /// Binds the calling thread to `list` ("" gives it the process's CPUs back).
    static func bind(to list: String, naming setting: String, log: ServerLog?) {
        let result = redstart_set_cpu_affinity(list)
        guard result != 0 else { return }
        log?.write(.warning, "Could not apply \(setting) '\(list)': \(String(cString: strerror(result)))")
    }

    /// Binds `pool`'s threads (one each) to `setting`'s list.
    static func bind(_ pool: NIOThreadPool, to setting: String, of config: ConfigStore, log: ServerLog) {
        let list = config[setting]
        guard !list.isEmpty else { return }
        pool.submit { _ in bind(to: list, naming: setting, log: log) }
    }
}
