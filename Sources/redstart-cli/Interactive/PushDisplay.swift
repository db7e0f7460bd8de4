// How a RESP3 push that arrives between replies is shown: in the standard format a
// client-tracking invalidation is one line, `-> invalidate: 'key1', 'key2'` (redis-cli's
// special case, keys printed as C strings); any other push is formatted like a reply.

enum PushDisplay {
    static func format(_ push: CLIReply, _ options: CLIOptions) -> [UInt8] {
        if options.output == .standard, case .aggregate(.push, let elements) = push, elements.count == 2,
            case .string(let kind) = elements[0], kind.starts(with: Array("invalidate".utf8)),
            case .aggregate(.array, let keys) = elements[1]
        {
            var out = Array("-> invalidate: ".utf8)
            for (index, key) in keys.enumerated() {
                guard case .string(let name) = key else { continue }
                out.append(UInt8(ascii: "'"))
                out.append(contentsOf: name.cString)
                out.append(UInt8(ascii: "'"))
                if index < keys.count - 1 { out.append(contentsOf: Array(", ".utf8)) }
            }
            out.append(0x0A)
            return out
        }
        return ReplyFormatter.format(push, options)
    }
}
