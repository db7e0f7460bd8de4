// daemonize yes, as Redis's daemonize(): the process forks, the parent exits at once
// (its caller sees the server started), and the child leaves its terminal (setsid) with
// its standard streams on /dev/null, so a log on stdout goes nowhere, as Redis's does.
// It must run before any thread starts (fork copies only the calling thread): main.swift
// calls it right after the configuration is read, before the server is made. A daemon
// without a pidfile gets Redis's default one.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

public enum Daemonization {
    /// The pid file a daemon writes when `pidfile` is not set (Redis's default).
    static let defaultPidFile = "/var/run/redis.pid"

    /// Detaches the process when `daemonize` is yes; the parent never returns.
    public static func detachIfConfigured(_ config: ConfigStore) {
        guard config.bool("daemonize") else { return }
        switch fork() {
        case -1:
            return  // as Redis: no daemon, the server runs in the foreground
        case 0:
            break
        default:
            _exit(0)
        }
        _ = setsid()
        let null = open("/dev/null", O_RDWR)
        if null >= 0 {
            _ = dup2(null, STDIN_FILENO)
            _ = dup2(null, STDOUT_FILENO)
            _ = dup2(null, STDERR_FILENO)
            if null > STDERR_FILENO { close(null) }
        }
        if config["pidfile"].isEmpty { config.restore("pidfile", canonical: defaultPidFile) }
    }
}
