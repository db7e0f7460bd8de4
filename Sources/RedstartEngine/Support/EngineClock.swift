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
}

extension EngineClock {
    /// Unix time in milliseconds.
    public var wallMilliseconds: Int64 { wallMicroseconds / 1000 }
}

/// The system clocks.
public final class SystemClock: EngineClock {
    public init() {}

    public var wallMicroseconds: Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000
    }

    /// The TSC where it is a clock (Redis's monotonic clock), clock_gettime elsewhere.
    public var monotonicMicroseconds: Int64 { Int64(redstart_monotonic_microseconds()) }
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
