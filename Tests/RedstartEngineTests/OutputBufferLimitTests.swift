// client-output-buffer-limit's soft limit counts whole unix seconds and must be passed,
// as Redis's checkClientOutputBufferLimits: never before its seconds, at most one more.
import Testing

@testable import RedstartEngine

@Suite struct OutputBufferLimitTests {
    @Test func softLimitNeedsMoreThanItsSecondsInWholeSeconds() {
        let limit = OutputBufferLimit(hard: 0, soft: 100, softSeconds: 3)
        var since: Int64?
        #expect(!limit.isExceeded(by: 150, now: 10_900, softSince: &since))
        #expect(since == 10_900)
        // 3.1 s later, but only 3 whole seconds (10 → 13): not yet.
        #expect(!limit.isExceeded(by: 150, now: 13_999, softSince: &since))
        #expect(limit.isExceeded(by: 150, now: 14_000, softSince: &since))
        // Going under the soft limit starts the count again.
        #expect(!limit.isExceeded(by: 50, now: 14_100, softSince: &since))
        #expect(since == nil)
        #expect(!limit.isExceeded(by: 150, now: 20_000, softSince: &since))
        #expect(!limit.isExceeded(by: 150, now: 23_999, softSince: &since))
        #expect(limit.isExceeded(by: 150, now: 24_000, softSince: &since))
    }

    @Test func hardLimitIsImmediate() {
        let limit = OutputBufferLimit(hard: 1000, soft: 100, softSeconds: 60)
        var since: Int64?
        #expect(limit.isExceeded(by: 1000, now: 0, softSince: &since))
        #expect(!limit.isExceeded(by: 999, now: 0, softSince: &since))
    }
}
