// Job events as they are published (JSON on `<ns>:events` and `<ns>:job:<id>:events`),
// so that other processes can watch a queue or wait for one job.
import Foundation

/// Something that happened to a job.
public struct JobEvent: Codable, Sendable, Hashable {
    public enum Kind: String, Codable, Sendable {
        case enqueued, completed, failed, retrying, progress, cancelled, stalled
    }

    public var event: Kind
    public var id: String
    public var queue: String
    /// The attempt the event is about (completed, failed, retrying, progress).
    public var attempt: Int?
    /// The error (failed, retrying, stalled).
    public var error: String?
    /// The progress reported, as JSON text (progress).
    public var progress: String?
    /// How long the job waited from falling due (enqueued, or its delay over) to being
    /// started, in milliseconds of server time (completed).
    public var waitedMilliseconds: Int64?
    /// How long its handler ran, in milliseconds (completed).
    public var ranMilliseconds: Int64?

    public init(
        event: Kind, id: String, queue: String, attempt: Int? = nil, error: String? = nil, progress: String? = nil,
        waitedMilliseconds: Int64? = nil, ranMilliseconds: Int64? = nil
    ) {
        self.event = event
        self.id = id
        self.queue = queue
        self.attempt = attempt
        self.error = error
        self.progress = progress
        self.waitedMilliseconds = waitedMilliseconds
        self.ranMilliseconds = ranMilliseconds
    }

    enum CodingKeys: String, CodingKey {
        case event, id, queue, attempt, error, progress
        case waitedMilliseconds = "waited_ms", ranMilliseconds = "ran_ms"
    }

    /// Whether the job is finished after this event.
    public var isFinal: Bool { event == .completed || event == .failed || event == .cancelled }

    /// The event as published: written by hand, since one is made for every enqueue and
    /// every completion (JSONEncoder costs several microseconds each).
    var json: String {
        var text = "{\"event\":\"\(event.rawValue)\",\"id\":"
        JSONCoding.appendString(id, to: &text)
        text += ",\"queue\":"
        JSONCoding.appendString(queue, to: &text)
        if let attempt { text += ",\"attempt\":\(attempt)" }
        if let error {
            text += ",\"error\":"
            JSONCoding.appendString(error, to: &text)
        }
        if let progress {
            text += ",\"progress\":"
            JSONCoding.appendString(progress, to: &text)
        }
        if let waitedMilliseconds { text += ",\"waited_ms\":\(waitedMilliseconds)" }
        if let ranMilliseconds { text += ",\"ran_ms\":\(ranMilliseconds)" }
        text += "}"
        return text
    }
}

/// One encoder and decoder for the library's JSON (JSONEncoder/JSONDecoder are thread-safe
/// for encoding and decoding).
enum JSONCoding {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        return encoder
    }()
    static let decoder = JSONDecoder()

    static func text(_ value: some Encodable) throws -> String {
        String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    /// Appends `value` as a JSON string literal (quotes, backslashes and control characters
    /// escaped).
    static func appendString(_ value: String, to text: inout String) {
        text += "\""
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _ where scalar.value < 0x20: text += String(format: "\\u%04x", scalar.value)
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
