// printf-style formatting through C's vsnprintf, for the reports whose layout redis-cli
// defines with printf ("%05.2f%%", "%.2f"): the same format strings give the same
// text, rounding included, without Foundation. Only numbers go through vsnprintf (a
// Swift String is no C vararg); "%-11s" and "%6s" are `padded(_:to:)`.
import Glibc

enum CFormat {
    /// `format` filled with `arguments`, as C's printf would print it.
    static func string(_ format: String, _ arguments: CVarArg...) -> String {
        withVaList(arguments) { list in
            var buffer = [CChar](repeating: 0, count: 512)
            let needed = Int(vsnprintf(&buffer, buffer.count, format, list))
            if needed >= buffer.count {
                buffer = [CChar](repeating: 0, count: needed + 1)
                return withVaList(arguments) { again in
                    _ = vsnprintf(&buffer, buffer.count, format, again)
                    return text(buffer)
                }
            }
            return text(buffer)
        }
    }
}

extension String {
    /// printf's "%-<width>s" (positive `width`, padding after) or "%<width>s" (negative,
    /// padding before); widths count bytes, as C does.
    func padded(to width: Int) -> String {
        let missing = abs(width) - utf8.count
        guard missing > 0 else { return self }
        let spaces = String(repeating: " ", count: missing)
        return width > 0 ? self + spaces : spaces + self
    }
}

/// The text before the NUL of a C buffer.
private func text(_ buffer: [CChar]) -> String {
    String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
}

/// The wall clock in the units redis-cli's timers use.
enum WallClock {
    static var microseconds: Int64 {
        var now = timeval()
        gettimeofday(&now, nil)
        return Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_usec)
    }

    static var milliseconds: Int64 { microseconds / 1000 }
}
