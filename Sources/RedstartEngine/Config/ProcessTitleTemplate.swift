// proc-title-template's expansion, as Redis's sdstemplate: `{name}` is replaced by
// the variable's value, `{{` is a literal brace, anything else is copied; an unknown
// variable or a brace left open makes the template invalid. The result is trimmed
// of spaces, as Redis trims the process title.

public enum ProcessTitleTemplate {
    /// The expansion of `template`, with `value` giving each variable (nil: unknown); nil
    /// when the template is invalid.
    public static func expand(_ template: String, _ value: (String) -> String?) -> String? {
        let bytes = Array(template.utf8)
        var result: [UInt8] = []
        var index = 0
        while index < bytes.count {
            guard bytes[index] == UInt8(ascii: "{") else {
                result.append(bytes[index])
                index += 1
                continue
            }
            index += 1
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "{") {
                result.append(UInt8(ascii: "{"))
                index += 1
                continue
            }
            guard let close = bytes[index...].firstIndex(of: UInt8(ascii: "}")),
                let expansion = value(String(decoding: bytes[index..<close], as: UTF8.self))
            else { return nil }
            result += expansion.utf8
            index = close + 1
        }
        let space = UInt8(ascii: " ")
        let start = result.firstIndex { $0 != space } ?? result.count
        let end = (result.lastIndex { $0 != space } ?? -1) + 1
        return start < end ? String(decoding: result[start..<end], as: UTF8.self) : ""
    }

    /// The variables a template may use.
    public static let variables: Set<String> = ["title", "listen-addr", "server-mode", "config-file", "port", "tls-port", "unixsocket"]
}
