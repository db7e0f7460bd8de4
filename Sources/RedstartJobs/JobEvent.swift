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

    public init(
        event: Kind, id: String, queue: String, attempt: Int? = nil, error: String? = nil, progress: String? = nil
    ) {
        self.event = event
        self.id = id
        self.queue = queue
        self.attempt = attempt
        self.error = error
        self.progress = progress
    }

    /// Whether the job is finished after this event.
    public var isFinal: Bool { event == .completed || event == .failed || event == .cancelled }

    /// The event as published.
    var json: String { String(decoding: (try? JSONCoding.encoder.encode(self)) ?? Data(), as: UTF8.self) }
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
}
