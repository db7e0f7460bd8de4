// Redis's serverPanic: a state the server must not go on from (a replica that cannot
// keep what its primary sends, a propagated command that failed under
// propagation-error-behavior panic). The crash report with "Guru Meditation:
// <message>" goes to the log (CRedstartShims/crash_report.c), then the process
// aborts, or exits with status 1 under use-exit-on-panic.
import CRedstartShims

/// Ends the process with Redis's software-failure report.
public func serverPanic(_ message: String) -> Never {
    redstart_crash_panic(message)
}
