// oom-score-adj and oom-score-adj-values: Redis's hints to the Linux OOM killer,
// written to /proc/self/oom_score_adj (the server's class; the background
// writer's class for its child). The score the process had before Redstart
// took over is kept, restored when the setting goes back to `no`, and added to
// the class values in relative mode.
#if canImport(Glibc)
import Glibc
#endif
import RedstartEngine

struct OOMScoreAdjustment {
    /// The process's own score before Redstart first changed it, while it is changed.
    private var base: Int?

    /// The score class values (server, replica, background child) and the mode.
    private static func settings(_ config: ConfigStore) -> (mode: String, values: [Int]) {
        let values = config["oom-score-adj-values"].split(separator: " ").compactMap { Int($0) }
        return (config["oom-score-adj"], values.count == 3 ? values : [0, 200, 800])
    }

    /// The score for class `index` (0 primary, 1 replica, 2 background child), or nil with `no`.
    private func score(_ config: ConfigStore, class index: Int, base: Int) -> Int? {
        let (mode, values) = Self.settings(config)
        guard mode != "no" else { return nil }
        let value = mode == "absolute" ? values[index] : values[index] + base
        return min(1000, max(-1000, value))
    }

    /// Brings the server's score in line with the settings and its role (Redis's
    /// setOOMScoreAdj): the replica class while it follows a primary.
    mutating func apply(_ config: ConfigStore, isReplica: Bool, log: ServerLog) throws(ConfigError) {
        let (mode, _) = Self.settings(config)
        let target: Int
        if mode != "no" {
            if base == nil {
                guard let current = Self.read() else {
                    log.write(.warning, "Unable to read oom_score_adj: \(String(cString: strerror(errno)))")
                    throw ConfigError("Failed to set current oom_score_adj. Check server logs.")
                }
                base = current
            }
            target = score(config, class: isReplica ? 1 : 0, base: base ?? 0) ?? 0
        } else if let original = base {
            base = nil
            target = original
        } else {
            return
        }
        guard Self.write(target) else {
            log.write(.warning, "Unable to write oom_score_adj: \(String(cString: strerror(errno)))")
            throw ConfigError("Failed to set current oom_score_adj. Check server logs.")
        }
    }

    /// The score a background writer child takes, or nil when the setting is `no`.
    func childScore(_ config: ConfigStore) -> Int? {
        score(config, class: 2, base: base ?? Self.read() ?? 0)
    }

    static func read() -> Int? {
        guard let file = fopen("/proc/self/oom_score_adj", "r") else { return nil }
        defer { fclose(file) }
        var buffer = [CChar](repeating: 0, count: 32)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return nil }
        let text = String(decoding: buffer.prefix { $0 != 0 && $0 != 10 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return Int(text)
    }

    @discardableResult
    static func write(_ value: Int) -> Bool {
        let descriptor = open("/proc/self/oom_score_adj", O_WRONLY)
        guard descriptor >= 0 else { return false }
        defer { close(descriptor) }
        let text = Array("\(value)\n".utf8)
        return text.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) } == text.count
    }
}
