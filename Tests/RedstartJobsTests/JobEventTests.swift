// Events are written by hand (not JSONEncoder): they must still be JSON that decodes to
// the same event, whatever the strings hold.
import Foundation
@testable import RedstartJobs
import Testing

@Suite struct JobEventTests {
    @Test func handWrittenJSONDecodesToTheSameEvent() throws {
        let events = [
            JobEvent(event: .enqueued, id: "a1", queue: "default"),
            JobEvent(event: .retrying, id: "id \"quoted\" \\ slash", queue: "q:1", attempt: 2, error: "line\nbreak\ttab\u{1}é😀"),
            JobEvent(event: .progress, id: "p", queue: "default", attempt: 1, progress: "{\"done\":3}"),
        ]
        for event in events {
            let decoded = try JSONDecoder().decode(JobEvent.self, from: Data(event.json.utf8))
            #expect(decoded == event)
        }
    }
}
