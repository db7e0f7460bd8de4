// Time as the engine sees it: wall-clock milliseconds for expiry and ages, and
// a monotonic microsecond counter for durations (SLOWLOG, commandstats). Tests
// swap in a manual clock to control time.
import CRedstartShims
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A source of time.
public protocol EngineClock: AnyObject {
    /// Unix time in microseconds.
    var wallMicroseconds: Int64 { get }
    /// Monotonic microseconds (for durations only).
    var monotonicMicroseconds: Int64 { get }
    /// Takes unix time from the system again (each cron tick).
    func synchronize()
    /// Unix time in microseconds read from the system now (TIME, as Redis's ustime), not
    /// derived from the monotonic clock.
    var exactWallMicroseconds: Int64 { get }
}

extension EngineClock {
    /// Unix time in milliseconds.
    public var wallMilliseconds: Int64 { wallMicroseconds / 1000 }

    public func synchronize() {}

    public var exactWallMicroseconds: Int64 { wallMicroseconds }
}

/// The system clocks. Unix time is the monotonic clock plus an offset taken from
/// CLOCK_REALTIME at start and again at every cron tick (`synchronize`): commands read the
/// time for their start and their duration, and one TSC read (~12 ns) costs a third of a
/// clock_gettime through the vDSO (measured ~4.7% of the server's CPU at pipeline depth 16).
/// A change of the system time shows within one cron tick.
public final class SystemClock: EngineClock {
    @exclusivity(unchecked) private var wallOffset: Int64 = 0

    public init() { synchronize() }

    public var wallMicroseconds: Int64 { monotonicMicroseconds + wallOffset }

    /// The TSC where it is a clock (Redis's monotonic clock), clock_gettime elsewhere.
    public var monotonicMicroseconds: Int64 { Int64(redstart_monotonic_microseconds()) }

    public func synchronize() {
        wallOffset = exactWallMicroseconds - monotonicMicroseconds
    }

    public var exactWallMicroseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }
}

/// A clock that moves only when told to (tests).
public final class ManualClock: EngineClock {
    public var wallMicroseconds: Int64
    public var monotonicMicroseconds: Int64 = 0

    public init(wallMilliseconds: Int64 = 1_700_000_000_000) {
        self.wallMicroseconds = wallMilliseconds * 1000
    }

    /// Moves both clocks forward.
    public func advance(milliseconds: Int64) {
        wallMicroseconds += milliseconds * 1000
        monotonicMicroseconds += milliseconds * 1000
    }
}
