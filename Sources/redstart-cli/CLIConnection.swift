// One connection to the server as redis-cli's `context`: connect (TCP, unix socket or
// TLS), then AUTH, SELECT and HELLO 3 in redis-cli's order with its messages ("AUTH
// failed: ...", "SELECT 2 failed: ...", "HELLO 3 failed: ..."), then commands written
// as RESP and replies read one at a time. A failed AUTH leaves the connection open, as
// in redis-cli: a one-shot command is still sent and gets the server's answer.
// RESP3 pushes arriving before a reply are shown (when showing pushes) and skipped.
import Glibc

/// Why a reply could not be read; `message` follows "Error: " in redis-cli's output.
struct CLIReadFailure: Error {
    var message: String
    /// The server sent what the reader cannot parse (not an I/O failure): the interactive
    /// mode ends on these, as redis-cli does, but reconnects after a lost connection.
    var isProtocolError = false
}

final class CLIConnection {
    let transport: any CLITransport
    private var reader = CLIReplyReader()
    private var scratch = [UInt8](repeating: 0, count: 64 * 1024)
    /// Called with pushes that arrive while waiting for a reply; nil drops them.
    var onPush: ((CLIReply) -> Void)?
    /// The database SELECTed (redis-cli's config.dbnum).
    var database: Int32 = 0

    init(transport: any CLITransport) {
        self.transport = transport
    }

    /// Connects as `options` say and runs the handshake. Returns nil when the connection
    /// could not be made (the message printed unless `quiet`); `isReady` is false when the
    /// handshake failed but the connection stays (redis-cli keeps using it).
    static func open(_ options: CLIOptions, quiet: Bool) -> (connection: CLIConnection?, isReady: Bool) {
        let transport: any CLITransport
        do {
            if let path = options.socketPath {
                transport = try SocketTransport.connect(unixSocket: path)
            } else {
                transport = try SocketTransport.connect(
                    host: String(decoding: options.host, as: UTF8.self), port: options.port)
            }
        } catch {
            if !quiet {
                let address =
                    options.socketPath ?? "\(String(decoding: options.host, as: UTF8.self)):\(options.port)"
                CLIOutput.error("Could not connect to Redis at \(address): \(error.message)\n")
            }
            return (nil, false)
        }
        let connection: CLIConnection
        if options.tls.enabled {
            do {
                connection = CLIConnection(transport: try TLSTransport.wrap(transport, options))
            } catch {
                CLIOutput.error("Could not negotiate a TLS connection: \(error.message)\n")
                return (nil, false)
            }
        } else {
            connection = CLIConnection(transport: transport)
        }
        return (connection, connection.handshake(options))
    }

    /// AUTH, SELECT, HELLO 3: each stops the rest when it fails.
    private func handshake(_ options: CLIOptions) -> Bool {
        if let password = options.password {
            var auth: [[UInt8]] = [Array("AUTH".utf8)]
            if let user = options.user { auth.append(Array(user.cString)) }
            auth.append(Array(password.cString))
            guard let reply = command(auth) else { return false }
            if case .error(let text) = reply {
                CLIOutput.error(Array("AUTH failed: ".utf8) + text.cString + [0x0A])
                return false
            }
        }
        guard select(options.database) else { return false }
        if (options.resp3 || options.resp3Implied) && !options.resp2 {
            guard let reply = command([Array("HELLO".utf8), Array("3".utf8)]) else { return false }
            if case .error(let text) = reply {
                CLIOutput.error(Array("HELLO 3 failed: ".utf8) + text.cString + [0x0A])
                // Only an explicit -3 makes that fatal.
                if options.resp3 { return false }
            }
        }
        return true
    }

    /// SELECT `database` unless it is the one in use (redis-cli's cliSelect).
    @discardableResult
    func select(_ target: Int32) -> Bool {
        guard target != database else { return true }
        guard let reply = command([Array("SELECT".utf8), Array(String(target).utf8)]) else { return false }
        if case .error(let text) = reply {
            CLIOutput.error(Array("SELECT \(target) failed: ".utf8) + text.cString + [0x0A])
            return false
        }
        database = target
        return true
    }

    /// A command and its reply for the handshake; nil (with redis-cli's "I/O error") when
    /// the connection failed.
    private func command(_ arguments: [[UInt8]]) -> CLIReply? {
        do {
            try send(arguments)
            return try readReply()
        } catch {
            CLIOutput.error("\nI/O error\n")
            return nil
        }
    }

    /// Writes one command as a RESP array of bulk strings.
    func send(_ arguments: [[UInt8]]) throws(CLIReadFailure) {
        let bytes = Self.encode(arguments)
        do {
            try transport.write(bytes)
        } catch {
            throw CLIReadFailure(message: error.message)
        }
    }

    /// Writes several commands in one write (a pipeline); read their replies in order.
    func send(batch commands: [[[UInt8]]]) throws(CLIReadFailure) {
        var bytes: [UInt8] = []
        for command in commands { bytes += Self.encode(command) }
        do {
            try transport.write(bytes)
        } catch {
            throw CLIReadFailure(message: error.message)
        }
    }

    /// `*<n>\r\n$<len>\r\n<arg>\r\n...`.
    static func encode(_ arguments: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(arguments.reduce(16) { $0 + $1.count + 16 })
        out.append("*\(arguments.count)\r\n")
        for argument in arguments {
            out.append("$\(argument.count)\r\n")
            out.append(contentsOf: argument)
            out.append("\r\n")
        }
        return out
    }

    /// The next reply. Pushes go to `onPush` unless `returnPushes` (pub/sub mode).
    func readReply(returnPushes: Bool = false) throws(CLIReadFailure) -> CLIReply {
        while true {
            let reply: CLIReply?
            do {
                reply = try reader.next()
            } catch {
                throw CLIReadFailure(message: error.message, isProtocolError: true)
            }
            if let reply {
                if !returnPushes, case .aggregate(.push, _) = reply {
                    onPush?(reply)
                    continue
                }
                return reply
            }
            let count: Int
            do {
                count = try transport.read(into: &scratch)
            } catch {
                throw CLIReadFailure(message: error.message)
            }
            if count == 0 { throw CLIReadFailure(message: CLIIOError.closed.message) }
            scratch.withUnsafeBytes { reader.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
        }
    }

    /// Bytes read from the server but not parsed yet (handed over when a mode stops
    /// reading replies and reads the raw stream, as --rdb does after SYNC).
    func takeBufferedBytes() -> [UInt8] {
        reader.takeBufferedBytes()
    }

    func close() {
        transport.close()
    }
}
