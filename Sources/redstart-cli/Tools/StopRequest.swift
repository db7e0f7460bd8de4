// Ctrl-C in the modes that print a summary when stopped (--bigkeys, --memkeys,
// --hotkeys, --intrinsic-latency): the handler only sets a flag, and the mode's loop
// ends at its next check and prints what it has, as redis-cli does.
import Glibc

enum StopRequest {
    nonisolated(unsafe) private static var requested: Int32 = 0

    /// Makes SIGINT request a stop instead of ending the process.
    static func install() {
        requested = 0
        signal(SIGINT) { _ in StopRequest.requested = 1 }
    }

    static var isRequested: Bool { requested != 0 }

    /// Sleeps `microseconds`, in naps of at most 50 ms, and returns early once a stop is
    /// requested: a Ctrl-C that lands just before the sleep (not inside it, where it would
    /// cut usleep short) must not wait out a long `-i` interval.
    static func sleep(microseconds: Int) {
        var left = microseconds
        while left > 0 && !isRequested {
            let nap = min(left, 50_000)
            usleep(UInt32(nap))
            left -= nap
        }
    }
}
