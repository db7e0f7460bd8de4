// MIGRATE's connections to other servers, as Redis keeps them: one blocking
// socket per host:port, cached for 10 seconds of disuse (64 at most), each
// remembering the database it last SELECTed. An exchange writes the whole
// request (AUTH, SELECT when needed, the RESTOREs) and reads one reply line per
// command, each step bounded by the command's timeout; the event loop waits,
// as Redis's does.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

final class MigrationConnections {
    private struct Connection {
        var descriptor: CInt
        var lastDatabase: Int
        var lastUse: Int64
        var pending: [UInt8] = []
    }

    private var connections: [String: Connection] = [:]
    static let maximumCached = 64
    static let idleSeconds: Int64 = 10

    var count: Int { connections.count }

    /// Closes the connections unused for more than 10 seconds (from the cron).
    func closeIdle(now: Int64) {
        for (name, connection) in connections where now - connection.lastUse > Self.idleSeconds {
            close(connection.descriptor)
            connections[name] = nil
        }
    }

    private func drop(_ name: String) {
        if let connection = connections.removeValue(forKey: name) { close(connection.descriptor) }
    }

    /// One exchange, retried once on a fresh connection when the cached one failed before any
    /// RESTORE was answered (not on a timeout), as Redis's migrateCommand.
    func exchange(_ request: MigrationRequest, now: Int64) -> MigrationOutcome {
        let name = request.host + ":" + request.port
        var mayRetry = true
        while true {
            guard var connection = connections[name] ?? connect(request) else { return .connectFailed }
            if connections[name] == nil && connections.count >= Self.maximumCached, let victim = connections.keys.randomElement() {
                drop(victim)
            }
            connection.lastUse = now
            connections[name] = connection
            let select = connection.lastDatabase != request.database
            var bytes: [UInt8] = []
            if let auth = request.auth { append(auth, to: &bytes) }
            if select { append([Array("SELECT".utf8), Array(String(request.database).utf8)], to: &bytes) }
            for restore in request.restores { append(restore, to: &bytes) }
            var outcome = MigrationReplies()
            var failure: MigrationReplies.Failure?
            var timedOut = false
            if !writeAll(connection.descriptor, bytes, timeout: request.timeoutMillis, timedOut: &timedOut) {
                failure = .writing
            } else {
                if request.auth != nil {
                    outcome.auth = readLine(&connection, timeout: request.timeoutMillis, timedOut: &timedOut)
                    if outcome.auth == nil { failure = .reading }
                }
                if failure == nil && select {
                    outcome.select = readLine(&connection, timeout: request.timeoutMillis, timedOut: &timedOut)
                    if outcome.select == nil { failure = .reading }
                }
                if failure == nil {
                    for _ in request.restores {
                        guard let line = readLine(&connection, timeout: request.timeoutMillis, timedOut: &timedOut) else {
                            failure = .reading
                            break
                        }
                        outcome.restores.append(line)
                    }
                }
            }
            if let failure {
                drop(name)
                if mayRetry && !timedOut && outcome.restores.isEmpty {
                    mayRetry = false
                    continue
                }
                outcome.failure = failure
                return .exchanged(outcome)
            }
            let rejected = [outcome.auth, outcome.select].contains { $0?.first == UInt8(ascii: "-") }
                || outcome.restores.contains { $0.first == UInt8(ascii: "-") }
            connection.lastDatabase = rejected ? -1 : request.database
            connections[name] = connection
            return .exchanged(outcome)
        }
    }

    private func append(_ command: [[UInt8]], to bytes: inout [UInt8]) {
        bytes += Array("*\(command.count)\r\n".utf8)
        for argument in command {
            bytes += Array("$\(argument.count)\r\n".utf8)
            bytes += argument
            bytes += [13, 10]
        }
    }

    // MARK: - Blocking socket I/O with timeouts

    private func connect(_ request: MigrationRequest) -> Connection? {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var results: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(request.host, request.port, &hints, &results) == 0, let first = results else { return nil }
        defer { freeaddrinfo(results) }
        var candidate: UnsafeMutablePointer<addrinfo>? = first
        while let info = candidate {
            candidate = info.pointee.ai_next
            let descriptor = socket(info.pointee.ai_family, info.pointee.ai_socktype | Int32(SOCK_CLOEXEC.rawValue), 0)
            guard descriptor >= 0 else { continue }
            let flags = fcntl(descriptor, F_GETFL)
            _ = fcntl(descriptor, F_SETFL, flags | O_NONBLOCK)
            var connected = Glibc.connect(descriptor, info.pointee.ai_addr, info.pointee.ai_addrlen) == 0
            if !connected && errno == EINPROGRESS {
                // Writable in time counts as connected, as in Redis: a refused connection then
                // fails at the first write ("error or timeout writing").
                var poller = pollfd(fd: descriptor, events: Int16(POLLOUT), revents: 0)
                connected = poll(&poller, 1, Int32(clamping: request.timeoutMillis)) == 1
            }
            if connected {
                var one: Int32 = 1
                _ = setsockopt(descriptor, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
                return Connection(descriptor: descriptor, lastDatabase: -1, lastUse: 0)
            }
            close(descriptor)
        }
        return nil
    }

    private func wait(_ descriptor: CInt, for events: Int32, timeout: Int) -> Bool {
        var poller = pollfd(fd: descriptor, events: Int16(events), revents: 0)
        return poll(&poller, 1, Int32(clamping: timeout)) == 1
    }

    private func writeAll(_ descriptor: CInt, _ bytes: [UInt8], timeout: Int, timedOut: inout Bool) -> Bool {
        var offset = 0
        while offset < bytes.count {
            guard wait(descriptor, for: Int32(POLLOUT), timeout: timeout) else {
                timedOut = true
                return false
            }
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, min($0.count, 64 * 1024), Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EAGAIN || errno == EINTR { continue }
                return false
            }
            offset += written
        }
        return true
    }

    /// One reply line without its CRLF, or nil on error, end of stream or timeout.
    private func readLine(_ connection: inout Connection, timeout: Int, timedOut: inout Bool) -> [UInt8]? {
        while true {
            if let end = connection.pending.firstIndex(of: 10) {
                var line = Array(connection.pending[..<end])
                connection.pending.removeSubrange(...end)
                if line.last == 13 { line.removeLast() }
                return line
            }
            guard wait(connection.descriptor, for: Int32(POLLIN), timeout: timeout) else {
                timedOut = true
                return nil
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let count = recv(connection.descriptor, &chunk, chunk.count, 0)
            if count < 0 && (errno == EAGAIN || errno == EINTR) { continue }
            guard count > 0 else { return nil }
            connection.pending += chunk[0..<count]
        }
    }
}
