// `--pipe`: mass insertion. Standard input (RESP or inline commands, passed through
// untouched) streams to the server from a writer thread while the main thread reads
// and counts the replies, so neither side waits on the other and bytes flow in large
// blocks with no per-command work beyond a reply skim. At the end of input the writer
// sends redis-cli's marker, `\r\n*2\r\n$4\r\nECHO\r\n$20\r\n<20 random bytes>\r\n`,
// and prints "All data transferred. Waiting for the last reply..."; the reader stops at
// the 20-byte bulk equal to the marker ("Last reply received from server."), then
// prints "errors: N, replies: M" (the marker's reply not counted) and exits 1 if any
// reply was an error (each printed to stderr). --pipe-timeout N (default 30, 0 never)
// gives up N seconds after the last reply once all input is sent.
import Glibc

enum MassInsertion {
    static func run(_ connection: CLIConnection, _ options: CLIOptions) -> Never {
        let transport = connection.transport
        let state = PipeState()
        startThread {
            writeStandardInput(to: transport, state)
        }

        var skimmer = PipeReplySkimmer()
        var errors: Int64 = 0
        var replies: Int64 = 0
        var lastReadTime = time(nil)
        var done = false
        var chunk = [UInt8](repeating: 0, count: 256 * 1024)
        while !done {
            if transport.waitReadable(milliseconds: 1000) {
                let count: Int
                do {
                    count = try transport.read(into: &chunk)
                } catch {
                    CLIOutput.exit(1)
                }
                // redis-cli ends without a word when the server closes the connection.
                if count == 0 { CLIOutput.exit(1) }
                chunk.withUnsafeBytes { skimmer.feed(UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
                while !done, let reply = skimmer.next() {
                    lastReadTime = time(nil)
                    switch reply {
                    case .error(let text):
                        CLIOutput.error(Array(text.cString) + [0x0A])
                        errors += 1
                    case .bulk20(let bytes):
                        if let marker = state.markerIfSent, bytes == marker {
                            CLIOutput.write("Last reply received from server.\n")
                            done = true
                            replies -= 1
                        }
                    case .other:
                        break
                    case .malformed:
                        CLIOutput.error("Error reading replies from server\n")
                        CLIOutput.exit(1)
                    }
                    replies += 1
                }
            }
            if !done, state.markerIfSent != nil, options.pipeTimeoutSeconds > 0,
                time(nil) - lastReadTime > Int(options.pipeTimeoutSeconds)
            {
                CLIOutput.error("No replies for \(options.pipeTimeoutSeconds) seconds: exiting.\n")
                errors += 1
                break
            }
        }
        CLIOutput.write("errors: \(errors), replies: \(replies)\n")
        CLIOutput.exit(errors > 0 ? 1 : 0)
    }

    /// The writer thread: stdin to the server in large blocks, then the marker.
    private static func writeStandardInput(to transport: any CLITransport, _ state: PipeState) {
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(0, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                CLIOutput.error("Error reading from stdin: \(String(cString: strerror(errno)))\n")
                CLIOutput.exit(1)
            }
            var block: [UInt8]
            if count == 0 {
                // The marker starts with CRLF, which servers skip, so that garbage at the
                // end of the input cannot swallow it.
                var marker = [UInt8](repeating: 0, count: 20)
                var generator = SystemRandomNumberGenerator()
                for index in marker.indices { marker[index] = UInt8.random(in: 0...255, using: &generator) }
                block = Array("\r\n*2\r\n$4\r\nECHO\r\n$20\r\n".utf8) + marker + [0x0D, 0x0A]
                CLIOutput.write("All data transferred. Waiting for the last reply...\n")
                state.markerSent(marker)
            } else {
                block = Array(buffer[0..<count])
            }
            do {
                try transport.write(block)
            } catch {
                CLIOutput.error("Error writing to the server: \(error.message)\n")
                CLIOutput.exit(1)
            }
            if count == 0 { return }
        }
    }
}

/// What the writer tells the reader: the marker, once all input has been sent.
private final class PipeState: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    private var marker: [UInt8]?

    init() {
        pthread_mutex_init(&mutex, nil)
    }

    func markerSent(_ bytes: [UInt8]) {
        pthread_mutex_lock(&mutex)
        marker = bytes
        pthread_mutex_unlock(&mutex)
    }

    var markerIfSent: [UInt8]? {
        pthread_mutex_lock(&mutex)
        defer { pthread_mutex_unlock(&mutex) }
        return marker
    }
}

/// Runs `body` on a new detached thread.
func startThread(_ body: @escaping () -> Void) {
    final class Box {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }
    let context = Unmanaged.passRetained(Box(body)).toOpaque()
    var thread = pthread_t()
    let result = pthread_create(
        &thread, nil,
        { raw in
            let box = Unmanaged<Box>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, context)
    precondition(result == 0, "pthread_create failed: \(result)")
    pthread_detach(thread)
}
