// The server log in Redis's line format:
//   <pid>:<role> <dd Mon yyyy HH:MM:SS.mmm> <mark> <message>
// where role is M (master) or C (before the server is initialized) and mark
// is one of `. - * #` (debug, verbose, notice, warning). Lines go to stdout,
// or are appended to `logfile` (opened per line, as Redis does, so log
// rotation works); with syslog-enabled each message also goes to the system log.
#if canImport(Glibc)
import Glibc
#endif
import CRedstartShims
import RedstartEngine

/// Writes log lines.
public final class ServerLog: @unchecked Sendable {
    /// The file to append to; nil = standard output.
    public var path: String?
    /// Lines below this level are dropped.
    public var level: LogLevel = .notice
    /// `C` until the server is initialized, then `M`.
    public var role: Character = "C"
    /// Messages also go to the system log (syslog-enabled).
    private var usesSystemLog = false

    public init(path: String? = nil) {
        self.path = path
    }

    /// syslog-enabled: opens the system log with `ident` and `facility` (syslog-ident,
    /// syslog-facility).
    public func openSystemLog(ident: String, facility: String) {
        redstart_syslog_open(ident, facility)
        usesSystemLog = true
    }

    /// Writes one line if `severity` passes the configured level.
    public func write(_ severity: LogLevel, _ message: String) {
        guard severity >= level else { return }
        emit("\(getpid()):\(role) \(Self.timestamp()) \(severity.mark) \(message)\n")
        if usesSystemLog { redstart_syslog(Int32(severity.rawValue), message) }
    }

    /// Writes `text` as it is, without the line prefix (the start-up logo).
    public func writeRaw(_ severity: LogLevel, _ text: String) {
        guard severity >= level else { return }
        emit(text)
        if usesSystemLog { redstart_syslog(Int32(severity.rawValue), text) }
    }

    private func emit(_ text: String) {
        if let path, !path.isEmpty {
            guard let file = fopen(path, "a") else { return }
            fputs(text, file)
            fclose(file)
        } else {
            var bytes = Array(text.utf8)
            _ = Glibc.write(STDOUT_FILENO, &bytes, bytes.count)
        }
    }

    /// `25 Nov 2026 10:05:22.123` in local time.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        localtime_r(&seconds, &parts)
        var buffer = [CChar](repeating: 0, count: 64)
        let length = strftime(&buffer, buffer.count, "%d %b %Y %H:%M:%S.", &parts)
        let prefix = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let millis = Int(now.tv_nsec / 1_000_000)
        return prefix + (millis < 10 ? "00" : millis < 100 ? "0" : "") + String(millis)
    }
}
