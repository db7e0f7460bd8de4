// Reading the fields of the server's self-descriptions (COMMAND DOCS, INFO) without
// caring whether they came as RESP2 flat arrays or RESP3 maps, sets and statuses.

extension CLIReply {
    /// A string, status or verbatim reply as text (lossy UTF-8); nil for other types.
    var text: String? {
        switch self {
        case .string(let bytes), .status(let bytes), .verbatim(let bytes):
            return String(decoding: bytes, as: UTF8.self)
        default:
            return nil
        }
    }

    /// The elements of an aggregate (array, set, map as key, value, key, ...).
    var elements: [CLIReply]? {
        if case .aggregate(_, let elements) = self { return elements }
        return nil
    }

    /// A map (or a RESP2 array of key, value, ...) as pairs with text keys.
    var keyValuePairs: [(key: String, value: CLIReply)]? {
        guard let elements, elements.count % 2 == 0 else { return nil }
        return stride(from: 0, to: elements.count, by: 2).map { index in
            (elements[index].text ?? "", elements[index + 1])
        }
    }
}
