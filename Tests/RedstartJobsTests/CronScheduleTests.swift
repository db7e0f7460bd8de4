// Cron expressions: fields, ranges, steps, names, the day-of-month/day-of-week rule, the
// shorthands and errors; and the retry policy's delays.
import Foundation
@testable import RedstartJobs
import Testing

@Suite struct CronScheduleTests {
    private func date(_ text: String) -> Date {
        let formatter = ISO8601DateFormatter()
        return formatter.date(from: text)!
    }

    private func next(_ expression: String, after text: String) throws -> String? {
        let formatter = ISO8601DateFormatter()
        return try CronSchedule(expression).nextFire(after: date(text)).map { formatter.string(from: $0) }
    }

    @Test func nextTicks() throws {
        #expect(try next("*/15 * * * *", after: "2026-12-05T10:07:30Z") == "2026-12-05T10:15:00Z")
        #expect(try next("0 9 * * MON-FRI", after: "2026-12-05T10:00:00Z") == "2026-12-07T09:00:00Z")  // a Saturday
        #expect(try next("30 2 1 * *", after: "2026-12-05T00:00:00Z") == "2027-01-01T02:30:00Z")
        #expect(try next("0 0 29 FEB *", after: "2026-03-01T00:00:00Z") == "2028-02-29T00:00:00Z")
        #expect(try next("@hourly", after: "2026-12-05T10:00:00Z") == "2026-12-05T11:00:00Z")
        #expect(try next("*/10 * * * * *", after: "2026-12-05T10:00:01Z") == "2026-12-05T10:00:10Z")
        #expect(try next("0 12 13 * 5", after: "2026-12-05T00:00:00Z") == "2026-12-11T12:00:00Z")  // 13th or a Friday
        #expect(try next("0 0 * * 7", after: "2026-12-05T00:00:00Z") == "2026-12-06T00:00:00Z")  // 7 is Sunday
        #expect(try next("5-20/5 1,3 * * *", after: "2026-12-05T01:20:00Z") == "2026-12-05T03:05:00Z")
    }

    @Test func badExpressionsAreRefused() {
        for expression in ["* * * *", "60 * * * *", "* 24 * * *", "*/0 * * * *", "5-1 * * * *", "* * * FOO *", ""] {
            #expect(throws: JobsError.self, "\(expression)") { try CronSchedule(expression) }
        }
    }

    @Test func retryDelaysGrowAndAreCapped() {
        let policy = RetryPolicy(maxAttempts: 10, initialDelay: .milliseconds(100), maximumDelay: .seconds(1), jitter: 0.5)
        #expect(policy.delayMilliseconds(after: 1, random: 0) == 100)
        #expect(policy.delayMilliseconds(after: 3, random: 0) == 400)
        #expect(policy.delayMilliseconds(after: 3, random: 0.999) == 200)
        #expect(policy.delayMilliseconds(after: 9, random: 0) == 1000)
        #expect(policy.delayMilliseconds(after: 500, random: 0) == 1000)
        #expect(RetryPolicy(maxAttempts: 0).maxAttempts == 1)
    }
}
