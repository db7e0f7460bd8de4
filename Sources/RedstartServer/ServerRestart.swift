// DEBUG RESTART and DEBUG CRASH-AND-RECOVER, as Redis's restartServer: the same
// executable started again in this process (execve keeps the pid) with the
// command line it was started with. RESTART first rewrites the config file and
// does what a SHUTDOWN does to persistence (the final save, the AOF synced);
// CRASH-AND-RECOVER does neither, as a crash would not. Every descriptor but
// stdin, stdout and stderr is closed by the exec itself (close-on-exec), so no
// thread of this process sees one vanish while the delay runs.
import RedstartEngine

#if canImport(Glibc)
import Glibc
#endif

extension RedstartServer {
    public func restart(graceful: Bool, delayMilliseconds: Int) {
        let executable = facts.executable
        guard access(executable, X_OK) == 0 else {
            log.write(.warning, "Can't restart: this process has no permissions to execute \(executable)")
            return
        }
        if graceful && !facts.configFile.isEmpty {
            do throws(ReplyError) {
                try rewriteConfig(forceAll: false)
            } catch {
                log.write(.warning, "Can't restart: configuration rewrite process failed: \(error.line)")
                return
            }
        }
        if graceful && !persistBeforeExit(mode: .standard, force: false) {
            log.write(.warning, "Can't restart: error preparing for shutdown")
            return
        }
        Self.closeDescriptorsOnExec()
        if delayMilliseconds > 0 { usleep(useconds_t(min(delayMilliseconds, 3_600_000)) * 1000) }
        var arguments = CommandLine.arguments
        if arguments.isEmpty { arguments = [executable] } else { arguments[0] = executable }
        let argv = arguments.map { strdup($0) } + [nil]
        execve(executable, argv, environ)
        // Nothing is left to go back to: the descriptors are marked and the state is saved.
        log.write(.warning, "Can't restart: execve failed: \(String(cString: strerror(errno)))")
        _exit(1)
    }

    /// Marks every open descriptor above stderr close-on-exec.
    private static func closeDescriptorsOnExec() {
        var limit = rlimit()
        let highest = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 ? min(Int(limit.rlim_cur), 1 << 20) : 4096
        for descriptor in CInt(3)..<CInt(max(highest, 3)) {
            let flags = fcntl(descriptor, F_GETFD)
            if flags >= 0 { _ = fcntl(descriptor, F_SETFD, flags | FD_CLOEXEC) }
        }
    }
}
