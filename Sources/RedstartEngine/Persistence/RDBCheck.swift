// Checks an RDB file the way redis-check-rdb does, for redstart-check-rdb
// and for the server's log when a load fails: every record is parsed (in a
// scratch engine, nothing kept), the checksum verified, and the report says
// where the file breaks and what it holds (aux fields, keys per database and
// type, expiries).

/// The outcome of checking one RDB file.
public struct RDBCheckReport {
    public var lines: [String] = []
    public var isValid = false
    /// Where the RDB data ends (after its checksum): an AOF tail may follow.
    public var endOffset = 0
}

public enum RDBCheck {
    /// Checks `bytes` (the file named `name`).
    public static func check(_ bytes: UnsafeRawBufferPointer, name: String) -> RDBCheckReport {
        var report = RDBCheckReport()
        report.lines.append("[offset 0] Checking RDB file \(name)")
        let scratch = Engine()
        var keys = 0
        var expires = 0
        var perDatabase: [Int: [String: Int]] = [:]
        var functions = 0
        var loader: RDBLoader?
        do throws(RDBLoadError) {
            let reading = try RDBLoader(bytes, engine: scratch, verifyOnly: true)
            loader = reading
            reading.observer = { event in
                switch event {
                case .aux(let key, let value, let offset):
                    report.lines.append("[offset \(offset)] AUX FIELD \(key) = '\(value)'")
                case .selectDatabase(let index, let offset):
                    report.lines.append("[offset \(offset)] Selecting DB ID \(index)")
                case .function:
                    functions += 1
                case .key(let database, let type, let expiring, _):
                    keys += 1
                    if expiring { expires += 1 }
                    perDatabase[database, default: [:]][type, default: 0] += 1
                }
            }
            while try !reading.step(until: .max) {}
            report.lines.append("[offset \(reading.offset)] Checksum OK")
            report.lines.append("[offset \(reading.offset)] \\o/ RDB looks OK! \\o/")
            report.isValid = true
            report.endOffset = reading.offset
        } catch {
            report.lines.append("--- RDB ERROR DETECTED ---")
            report.lines.append("[offset \(error.offset ?? 0)] \(error.description)")
            if let key = loader?.currentKey {
                report.lines.append("[additional info] Reading key '\(String(decoding: key, as: UTF8.self))'")
            }
            if let type = loader?.currentType {
                report.lines.append("[additional info] Reading type \(type.rawValue) (\(type))")
            }
        }
        report.lines.append("[info] \(keys) keys read")
        report.lines.append("[info] \(expires) expires")
        report.lines.append("[info] \(loader?.keysExpired ?? 0) already expired")
        if functions > 0 { report.lines.append("[info] \(functions) functions") }
        for database in perDatabase.keys.sorted() {
            let types = perDatabase[database]!.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            report.lines.append("[info] db \(database): \(types.joined(separator: ", "))")
        }
        if !report.isValid { report.lines.append("--- RDB ERROR DETECTED ---") }
        return report
    }
}
