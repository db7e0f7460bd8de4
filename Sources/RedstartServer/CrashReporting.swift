// Redis's crash report, as its configuration drives it: with crash-log-enabled
// (the default) a fatal signal writes the report to the log before the process
// ends by that signal; crash-memcheck-enabled adds the fast memory test;
// use-exit-on-panic makes a software failure exit with status 1 rather than
// abort. The report itself is written by CRedstartShims/crash_report.c, from the
// signal handler, so everything it needs is handed over here in advance.
import CRedstartShims
import RedstartEngine

#if canImport(Glibc)
import Glibc
#endif

enum CrashReporting {
    /// At start-up, before the event loop serves anyone: the log, the identity, the pid file
    /// a daemon removes, the options and the handlers.
    static func configure(_ config: ConfigStore, logPath: String?) {
        redstart_crash_set_log(logPath ?? "")
        redstart_crash_set_identity("Redstart \(Engine.redstartVersion)")
        // As Redis: only a daemon's own pid file is removed (a supervisor owns its own).
        let ownsPidFile = config.bool("daemonize") && config["supervised"] == "no"
        redstart_crash_set_pid_file(ownsPidFile ? config["pidfile"] : "")
        apply(config)
    }

    /// crash-log-enabled, crash-memcheck-enabled and use-exit-on-panic, at start-up and
    /// after CONFIG SET.
    static func apply(_ config: ConfigStore) {
        redstart_crash_set_options(config.bool("crash-memcheck-enabled") ? 1 : 0, config.bool("use-exit-on-panic") ? 1 : 0)
        redstart_crash_handlers_enable(config.bool("crash-log-enabled") ? 1 : 0)
    }

    /// watchdog-period, from the cron on the event loop thread: the timer is armed again for
    /// the period (at least two cron ticks), or stopped at 0.
    static func armWatchdog(_ engine: Engine) {
        let period = Int(engine.config.integer("watchdog-period"))
        guard period > 0 else {
            if watchdogArmed { redstart_watchdog_disarm() }
            watchdogArmed = false
            return
        }
        watchdogArmed = redstart_watchdog_arm(Int32(max(period, shortestWatchdogPeriod(engine)))) == 0
    }

    /// CONFIG SET watchdog-period: a period shorter than two cron ticks is raised to that in
    /// the setting itself, as Redis's applyWatchdogPeriod does, and the timer armed.
    static func applyWatchdogPeriod(_ engine: Engine) {
        let shortest = shortestWatchdogPeriod(engine)
        let period = engine.config.integer("watchdog-period")
        if period > 0 && period < shortest { engine.config.restore("watchdog-period", canonical: String(shortest)) }
        armWatchdog(engine)
    }

    private static func shortestWatchdogPeriod(_ engine: Engine) -> Int { 1000 / max(1, engine.hz) * 2 }

    /// Touched on the event loop thread only.
    nonisolated(unsafe) private static var watchdogArmed = false

    /// The calling thread gets a stack of its own for the report (a stack overflow).
    static func prepareCurrentThread() {
        _ = redstart_crash_prepare_thread()
    }
}
