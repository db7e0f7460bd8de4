// Cron expressions: five fields (minute hour day-of-month month day-of-week), or six with
// seconds first, as cron and most job libraries read them: `*`, `a-b`, `a,b`, steps
// (`*/5`, `10-40/10`), month and day names (JAN, MON), 0 or 7 for Sunday, and the
// shorthands @yearly @monthly @weekly @daily @hourly. When both day fields are restricted
// a day matching either one matches (as Vixie cron). Times are in the schedule's zone.
import Foundation

public struct CronSchedule: Sendable, Hashable, CustomStringConvertible {
    public let expression: String
    public let timeZone: TimeZone
    let seconds: Set<Int>
    let minutes: Set<Int>
    let hours: Set<Int>
    let days: Set<Int>
    let months: Set<Int>
    let weekdays: Set<Int>
    let hasSeconds: Bool
    let daysRestricted: Bool
    let weekdaysRestricted: Bool

    public init(_ expression: String, timeZone: TimeZone = TimeZone(identifier: "UTC")!) throws {
        self.expression = expression
        self.timeZone = timeZone
        let shorthands = [
            "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
            "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
        ]
        let text = shorthands[expression.lowercased()] ?? expression
        var fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" }).map(String.init)
        guard fields.count == 5 || fields.count == 6 else {
            throw JobsError.invalidSchedule("'\(expression)' has \(fields.count) fields; cron needs 5 (or 6 with seconds)")
        }
        hasSeconds = fields.count == 6
        if !hasSeconds { fields.insert("0", at: 0) }
        let months = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
        let weekdays = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
        seconds = try Self.parse(fields[0], 0...59, names: [], field: "second")
        minutes = try Self.parse(fields[1], 0...59, names: [], field: "minute")
        hours = try Self.parse(fields[2], 0...23, names: [], field: "hour")
        days = try Self.parse(fields[3], 1...31, names: [], field: "day of month")
        self.months = try Self.parse(fields[4], 1...12, names: months, nameBase: 1, field: "month")
        // 7 is Sunday too.
        self.weekdays = Set(try Self.parse(fields[5], 0...7, names: weekdays, field: "day of week").map { $0 % 7 })
        daysRestricted = fields[3] != "*" && fields[3] != "?"
        weekdaysRestricted = fields[5] != "*" && fields[5] != "?"
    }

    public var description: String { expression }

    private static func parse(
        _ field: String, _ range: ClosedRange<Int>, names: [String], nameBase: Int = 0, field fieldName: String
    ) throws -> Set<Int> {
        func value(_ text: String) throws -> Int {
            if let number = Int(text), range.contains(number) { return number }
            if let index = names.firstIndex(of: text.uppercased()) { return index + nameBase }
            throw JobsError.invalidSchedule("'\(text)' is not a valid \(fieldName)")
        }
        var result = Set<Int>()
        for part in field.split(separator: ",", omittingEmptySubsequences: false).map(String.init) {
            let pieces = part.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
            guard pieces.count <= 2, !pieces[0].isEmpty else { throw JobsError.invalidSchedule("'\(part)' in the \(fieldName) field") }
            var step = 1
            if pieces.count == 2 {
                guard let parsed = Int(pieces[1]), parsed > 0 else { throw JobsError.invalidSchedule("step '\(pieces[1])' in the \(fieldName) field") }
                step = parsed
            }
            var low = range.lowerBound
            var high = range.upperBound
            if pieces[0] != "*" && pieces[0] != "?" {
                let bounds = pieces[0].split(separator: "-", omittingEmptySubsequences: false).map(String.init)
                guard bounds.count <= 2 else { throw JobsError.invalidSchedule("'\(part)' in the \(fieldName) field") }
                low = try value(bounds[0])
                high = bounds.count == 2 ? try value(bounds[1]) : (pieces.count == 2 ? range.upperBound : low)
                guard low <= high else { throw JobsError.invalidSchedule("'\(part)' runs backwards in the \(fieldName) field") }
            }
            result.formUnion(stride(from: low, through: high, by: step))
        }
        return result
    }

    /// The first time after `date` that the schedule names (nil if none within 5 years).
    public func nextFire(after date: Date) -> Date? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = timeZone
        let unit: Calendar.Component = hasSeconds ? .second : .minute
        guard var time = calendar.dateInterval(of: unit, for: date)?.end else { return nil }
        let limit = date.addingTimeInterval(5 * 366 * 86400)
        while time < limit {
            let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: time)
            guard let month = parts.month, let day = parts.day, let hour = parts.hour, let minute = parts.minute,
                let second = parts.second, let weekday = parts.weekday
            else { return nil }
            if !months.contains(month) {
                guard let next = calendar.dateInterval(of: .month, for: time)?.end else { return nil }
                time = next
                continue
            }
            if !dayMatches(day: day, weekday: weekday - 1) {
                guard let next = calendar.dateInterval(of: .day, for: time)?.end else { return nil }
                time = next
                continue
            }
            if !hours.contains(hour) {
                guard let next = calendar.dateInterval(of: .hour, for: time)?.end else { return nil }
                time = next
                continue
            }
            if !minutes.contains(minute) {
                guard let next = calendar.dateInterval(of: .minute, for: time)?.end else { return nil }
                time = next
                continue
            }
            if !seconds.contains(second) {
                time = time.addingTimeInterval(1)
                continue
            }
            return time
        }
        return nil
    }

    private func dayMatches(day: Int, weekday: Int) -> Bool {
        switch (daysRestricted, weekdaysRestricted) {
        case (true, true): return days.contains(day) || weekdays.contains(weekday)
        case (true, false): return days.contains(day)
        case (false, true): return weekdays.contains(weekday)
        case (false, false): return true
        }
    }
}
