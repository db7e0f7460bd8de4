// Listening sockets opened by hand (socket, bind, listen) so that a failure is
// known at once, with the errno text Redis logs, before an EpollAcceptor takes the
// socket over. TCP: one socket per `bind` address ("*" = every IPv4 address, "::*" =
// every IPv6 address, IPv6 sockets are v6-only so both can share the port). They are
// close-on-exec: the background writer process (BGSAVE, the AOF rewrite) must not hold
// the port, which would take connections it never serves once this server has gone.
#if canImport(Glibc)
import Glibc
#endif

/// Why a listening socket could not be opened.
struct ListenError: Error, CustomStringConvertible {
    let description: String
}

enum ListeningSocket {
    /// A bound, listening, non-blocking TCP socket for `address` (a `bind` entry without its `-`),
    /// with `mark` as its SO_MARK when not 0 (socket-mark-id; as Redis, a mark the system
    /// refuses, without CAP_NET_ADMIN, is left unset).
    static func tcp(address: String, port: Int, backlog: Int, mark: UInt32 = 0) throws(ListenError) -> CInt {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = AI_PASSIVE
        var host: String?
        switch address {
        case "*", "0.0.0.0":
            hints.ai_family = AF_INET
        case "::*", "::":
            hints.ai_family = AF_INET6
        default:
            hints.ai_family = address.contains(":") ? AF_INET6 : AF_INET
            host = address
        }
        var results: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &results)
        guard status == 0, let first = results else {
            throw ListenError(description: String(cString: gai_strerror(status)))
        }
        defer { freeaddrinfo(results) }
        let fd = socket(first.pointee.ai_family, first.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), first.pointee.ai_protocol)
        guard fd >= 0 else { throw ListenError(description: "socket: " + errorText()) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if first.pointee.ai_family == AF_INET6 {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if mark != 0 {
            var value = mark
            setsockopt(fd, SOL_SOCKET, SO_MARK, &value, socklen_t(MemoryLayout<UInt32>.size))
        }
        guard bind(fd, first.pointee.ai_addr, first.pointee.ai_addrlen) == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw ListenError(description: "bind: " + text)
        }
        return try listenAndDetach(fd, backlog: backlog)
    }

    /// A bound, listening Unix-domain socket at `path` with `permissions` (0 = leave as created).
    static func unix(path: String, permissions: Int, backlog: Int) throws(ListenError) -> CInt {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(path.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            throw ListenError(description: "unix socket path too long")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in pathBytes.enumerated() { raw[index] = byte }
        }
        unlink(path)  // a stale socket file from an earlier run, as Redis does
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw ListenError(description: "socket: " + errorText()) }
        let bound = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw ListenError(description: "bind: " + text)
        }
        if permissions != 0 { chmod(path, mode_t(permissions)) }
        return try listenAndDetach(fd, backlog: backlog)
    }

    private static func listenAndDetach(_ fd: CInt, backlog: Int) throws(ListenError) -> CInt {
        guard listen(fd, Int32(clamping: backlog)) == 0 else {
            let text = errorText()
            Glibc.close(fd)
            throw ListenError(description: "listen: " + text)
        }
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        return fd
    }

    private static func errorText() -> String { String(cString: strerror(errno)) }
}
