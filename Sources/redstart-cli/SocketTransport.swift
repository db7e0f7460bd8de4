// The byte pipe to the server: a blocking TCP or unix-domain socket (this file) or a TLS
// session (TLSTransport). Connection errors carry hiredis's texts, which redis-cli
// prints after "Could not connect to Redis at <address>: ": strerror(errno) for a
// failed connect ("Connection refused"), gai_strerror for a name that does not resolve.
// Reads and writes are safe from two threads at once (one reader, one writer), which
// --pipe relies on.
import Glibc

/// A failure of the connection; `message` is what redis-cli prints after "Error: ".
struct CLIIOError: Error {
    var message: String

    static func errno(_ code: Int32 = Glibc.errno) -> CLIIOError {
        CLIIOError(message: String(cString: strerror(code)))
    }

    /// hiredis's text for a connection the server closed.
    static let closed = CLIIOError(message: "Server closed the connection")
}

/// A connected byte stream to the server.
protocol CLITransport: AnyObject {
    /// Writes all of `bytes` (blocking).
    func write(_ bytes: UnsafeRawBufferPointer) throws(CLIIOError)
    /// Reads what is available into `buffer` (blocking until some is); 0 at end of stream.
    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CLIIOError) -> Int
    /// Waits up to `milliseconds` for bytes to read; true when some are ready.
    func waitReadable(milliseconds: Int32) -> Bool
    /// A descriptor a signal handler may shut down to end a blocked read (Ctrl-C in
    /// SUBSCRIBE or MONITOR); nil when there is none to touch (TLS runs in NIO).
    var interruptibleDescriptor: Int32? { get }
    func close()
}

extension CLITransport {
    var interruptibleDescriptor: Int32? { nil }
}

extension CLITransport {
    /// Writes all of `bytes`.
    func write(_ bytes: [UInt8]) throws(CLIIOError) {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(CLIIOError) in try write(raw) } }
        try result.get()
    }

    /// Reads into the start of `buffer`; 0 at end of stream.
    func read(into buffer: inout [UInt8]) throws(CLIIOError) -> Int {
        let result = buffer.withUnsafeMutableBytes { raw in Result { () throws(CLIIOError) in try read(into: raw) } }
        return try result.get()
    }
}

/// A plain socket.
final class SocketTransport: CLITransport {
    private var descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    /// Connects over TCP as hiredis does: IPv4 addresses first, IPv6 if the name has none;
    /// an unreachable address moves on to the next, any other failure stops.
    static func connect(host: String, port: Int32) throws(CLIIOError) -> SocketTransport {
        var hints = addrinfo()
        hints.ai_family = AF_INET
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        var status = getaddrinfo(host, String(port), &hints, &list)
        if status != 0 {
            hints.ai_family = AF_INET6
            status = getaddrinfo(host, String(port), &hints, &list)
            if status != 0 { throw CLIIOError(message: String(cString: gai_strerror(status))) }
        }
        defer { freeaddrinfo(list) }
        var entry = list
        while let address = entry {
            entry = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if fd == -1 { continue }
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 {
                var on: Int32 = 1
                setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
                return SocketTransport(descriptor: fd)
            }
            let failure = Glibc.errno
            Glibc.close(fd)
            if failure == EHOSTUNREACH { continue }
            throw .errno(failure)
        }
        throw CLIIOError(message: "Can't create socket: \(String(cString: strerror(Glibc.errno)))")
    }

    /// Connects to a unix-domain socket.
    static func connect(unixSocket path: String) throws(CLIIOError) -> SocketTransport {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd != -1 else { throw .errno() }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        let pathBytes = Array(path.utf8.prefix(capacity - 1))
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        if result != 0 {
            let failure = Glibc.errno
            Glibc.close(fd)
            throw .errno(failure)
        }
        return SocketTransport(descriptor: fd)
    }

    func write(_ bytes: UnsafeRawBufferPointer) throws(CLIIOError) {
        var offset = 0
        while offset < bytes.count {
            let written = send(descriptor, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            if written < 0 {
                if Glibc.errno == EINTR { continue }
                throw .errno()
            }
            offset += written
        }
    }

    func read(into buffer: UnsafeMutableRawBufferPointer) throws(CLIIOError) -> Int {
        while true {
            let count = recv(descriptor, buffer.baseAddress, buffer.count, 0)
            if count >= 0 { return count }
            if Glibc.errno == EINTR { continue }
            throw .errno()
        }
    }

    func waitReadable(milliseconds: Int32) -> Bool {
        var request = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
        return poll(&request, 1, milliseconds) > 0
    }

    var interruptibleDescriptor: Int32? { descriptor >= 0 ? descriptor : nil }

    /// The descriptor, which this transport stops owning (TLS hands it to NIO).
    func takeDescriptor() -> Int32 {
        defer { descriptor = -1 }
        return descriptor
    }

    func close() {
        if descriptor >= 0 {
            Glibc.close(descriptor)
            descriptor = -1
        }
    }
}
