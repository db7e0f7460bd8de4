// supervised systemd|upstart|auto|no, as Redis: a service manager that started the server
// learns when it is ready. systemd (Type=notify, as Debian's redis-server.service) gets
// "STATUS=…" and "READY=1" once the dataset is loaded and "STOPPING=1" at shutdown, as
// datagrams to $NOTIFY_SOCKET (sd_notify's protocol, written here: no libsystemd);
// upstart (expect stop) sees the process stop itself with SIGSTOP once ready. `auto`
// picks whichever the environment names.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

struct ServiceSupervision {
    enum Manager { case systemd(socket: String), upstart }

    /// Who to tell, or nil when nobody supervises the server.
    let manager: Manager?

    /// Resolves `supervised` against the environment, logging as Redis does; a systemd
    /// manager is told at once that the dataset is loading.
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
            guard upstartJob else {
                log.write(.warning, "upstart supervision requested, but UPSTART_JOB not found!")
                manager = nil
                return
            }
            log.write(.notice, "supervised by upstart, will stop to signal readiness.")
            manager = .upstart
        case "systemd":
            log.write(
                .notice,
                "supervised by systemd. Please make sure you set appropriate values for TimeoutStartSec and TimeoutStopSec in your service unit."
            )
            guard !notifySocket.isEmpty else {
                log.write(.warning, "systemd supervision error: NOTIFY_SOCKET not found!")
                manager = nil
                return
            }
            manager = .systemd(socket: notifySocket)
            Self.send("STATUS=Redis is loading...\n", to: notifySocket)
        default:
            manager = nil
        }
    }

    /// The dataset is loaded and clients are served.
    func notifyReady(isReplica: Bool) {
        switch manager {
        case .systemd(let socket):
            let status = isReplica
                ? "STATUS=Ready to accept connections in read-only mode. Waiting for MASTER <-> REPLICA sync\n"
                : "STATUS=Ready to accept connections\n"
            Self.send(status, to: socket)
            Self.send("READY=1\n", to: socket)
        case .upstart:
            unsetenv("UPSTART_JOB")
            raise(SIGSTOP)
        case nil:
            break
        }
    }

    /// The server is shutting down.
    func notifyStopping() {
        if case .systemd(let socket) = manager { Self.send("STOPPING=1\n", to: socket) }
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
