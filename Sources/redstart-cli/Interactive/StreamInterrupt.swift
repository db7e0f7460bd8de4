// Ctrl-C in the interactive mode, as redis-cli handles SIGINT there: while SUBSCRIBE
// or MONITOR stream replies, it shuts the connection's socket so the blocked read
// ends, and the session reconnects and shows the prompt again; at any other time (a
// command waiting for its reply) it ends the process with status 1. At the prompt the
// terminal is in raw mode and Ctrl-C is a key, not a signal. The handler only reads
// and writes two plain globals and calls shutdown() and _exit(), which are async-
// signal-safe. Over TLS there is no descriptor to shut, so Ctrl-C ends the process.
import Glibc

enum StreamInterrupt {
    /// The socket being streamed from, or -1.
    nonisolated(unsafe) private static var descriptor: Int32 = -1
    /// Set by the handler when it ended a stream.
    nonisolated(unsafe) private static var interrupted: Int32 = 0

    /// Installs the SIGINT handler.
    static func install() {
        descriptor = -1
        interrupted = 0
        signal(SIGINT) { _ in
            let socket = StreamInterrupt.descriptor
            if socket >= 0 {
                shutdown(socket, Int32(SHUT_RDWR))
                StreamInterrupt.interrupted = 1
            } else {
                _exit(1)
            }
        }
    }

    /// Ctrl-C now ends reads on `socket` (when there is one) instead of the process.
    static func begin(on socket: Int32?) {
        interrupted = 0
        descriptor = socket ?? -1
    }

    /// Ctrl-C ends the process again.
    static func end() {
        descriptor = -1
    }

    /// Whether Ctrl-C ended the stream since `begin`.
    static var wasInterrupted: Bool { interrupted != 0 }
}
