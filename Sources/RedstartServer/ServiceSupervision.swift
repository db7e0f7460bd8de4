// supervised systemd|upstart|auto|no, as Redis: a service manager that started the server
// learns when it is ready. systemd (Type=notify, as Debian's redis-server.service) gets
// "STATUS=…" lines, "READY=1" once the dataset is loaded and "STOPPING=1" when a shutdown
// begins, as datagrams to $NOTIFY_SOCKET (sd_notify's protocol, written here: no
// libsystemd); upstart (expect stop) sees the process stop itself with SIGSTOP at start,
// as Redis does it. `auto` picks whichever the environment names.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

struct ServiceSupervision {
    /// systemd's notification socket, when systemd supervises the server (upstart is
    /// told once, at start, and nothing after).
    let systemdSocket: String?

    /// Resolves `supervised` against the environment, as Redis's redisIsSupervised: upstart
    /// is signalled at once (its SIGSTOP), systemd is told the dataset is loading; the log
    /// lines are Redis's.
    init(config: ConfigStore, log: ServerLog) {
        let notifySocket = getenv("NOTIFY_SOCKET").map { String(cString: $0) } ?? ""
        let upstartJob = getenv("UPSTART_JOB") != nil
        var mode = config["supervised"]
        if mode == "auto" {
            if upstartJob {
                log.write(.verbose, "Upstart supervision detected.")
                mode = "upstart"
            } else if !notifySocket.isEmpty {
                log.write(.verbose, "Systemd supervision detected.")
                mode = "systemd"
            }
        }
        switch mode {
        case "upstart":
            systemdSocket = nil
            guard upstartJob else {
                log.write(.warning, "upstart supervision requested, but UPSTART_JOB not found!")
                return
            }
            log.write(.notice, "supervised by upstart, will stop to signal readiness.")
            raise(SIGSTOP)
            unsetenv("UPSTART_JOB")
        case "systemd":
            guard !notifySocket.isEmpty else {
                log.write(.warning, "systemd supervision error: NOTIFY_SOCKET not found!")
                systemdSocket = nil
                return
            }
            Self.send("STATUS=Redis is loading...\n", to: notifySocket)
            log.write(
                .notice,
                "Supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."
            )
            systemdSocket = notifySocket
        default:
            systemdSocket = nil
        }
    }

    /// The dataset is loaded and clients are served.
    func notifyReady(isReplica: Bool) {
        notify(isReplica
            ? "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n"
            : "STATUS=Ready to accept connections\n")
        notify("READY=1\n")
    }

    /// Tells systemd `message` (nothing for the others).
    func notify(_ message: String) {
        if let systemdSocket { Self.send(message, to: systemdSocket) }
    }

    /// One datagram to the notification socket ("@name": Linux's abstract namespace).
    private static func send(_ message: String, to path: String) {
        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(path.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard bytes.count < capacity else { return }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout<sa_family_t>.size + bytes.count)
        var text = Array(message.utf8)
        _ = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                sendto(descriptor, &text, text.count, Int32(MSG_NOSIGNAL), socketAddress, length)
            }
        }
    }
}
