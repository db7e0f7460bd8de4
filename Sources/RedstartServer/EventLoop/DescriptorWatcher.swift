// What an EpollEventLoop tells the owner of a descriptor it watches.
import CRedstartShims
#if canImport(Glibc)
import Glibc
#endif

/// What a descriptor is ready for (or what a watcher is interested in).
public struct Readiness: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    public static let readable = Readiness(rawValue: EPOLLIN.rawValue)
    public static let writable = Readiness(rawValue: EPOLLOUT.rawValue)
    /// The peer closed its end (reported whatever the interest).
    public static let hangUp = Readiness(rawValue: EPOLLHUP.rawValue | EPOLLRDHUP.rawValue)
    /// An error is pending on the descriptor (reported whatever the interest).
    public static let error = Readiness(rawValue: EPOLLERR.rawValue)
}

/// The owner of a watched descriptor: called on the loop's thread, level-triggered (again on
/// every turn while the condition holds). A readiness may be stale, for a descriptor unwatched
/// or reused earlier in the same turn: a watcher reads and writes non-blocking and takes
/// EAGAIN in its stride.
public protocol DescriptorWatcher: AnyObject {
    func descriptorReady(_ readiness: Readiness)
}

/// epoll refused to watch or change a descriptor.
public struct DescriptorWatchError: Error, CustomStringConvertible {
    public let errorNumber: CInt
    public var description: String { String(cString: strerror(errorNumber)) }
}
