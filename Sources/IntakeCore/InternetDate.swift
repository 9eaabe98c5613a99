import Foundation

/// RFC 3339 internet date-times in UTC with whole seconds (`2026-11-28T09:30:00Z`), the form
/// the API, Open311 and case messages all write. Written by hand: Foundation's
/// `ISO8601DateFormatter` costs microseconds per date (more when made per call), and listings
/// write several dates per row.
public enum InternetDate {
    public static func format(_ date: Date) -> String {
        // As Foundation does: to the nearest millisecond, then the second that millisecond is in.
        let milliseconds = (date.timeIntervalSince1970 * 1000).rounded()
        let seconds = Int64((milliseconds / 1000).rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        let secondOfDay = Int(seconds - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var bytes = [UInt8](repeating: 0, count: 20)
        func put(_ value: Int, at index: Int, width: Int) {
            var value = value
            for offset in stride(from: width - 1, through: 0, by: -1) {
                bytes[index + offset] = UInt8(ascii: "0") + UInt8(value % 10)
                value /= 10
            }
        }
        put(Int(year), at: 0, width: 4)
        bytes[4] = UInt8(ascii: "-")
        put(month, at: 5, width: 2)
        bytes[7] = UInt8(ascii: "-")
        put(day, at: 8, width: 2)
        bytes[10] = UInt8(ascii: "T")
        put(secondOfDay / 3600, at: 11, width: 2)
        bytes[13] = UInt8(ascii: ":")
        put(secondOfDay / 60 % 60, at: 14, width: 2)
        bytes[16] = UInt8(ascii: ":")
        put(secondOfDay % 60, at: 17, width: 2)
        bytes[19] = UInt8(ascii: "Z")
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Reads an RFC 3339 date-time exactly as the contract's `DateTimeFilter` pattern states it:
    /// `YYYY-MM-DDTHH:MM:SS`, an optional fraction, then `Z` or `±HH:MM`; a real calendar day from
    /// year 0001, hours 00–23, no leap second. Foundation's ISO 8601 parser is looser (it takes
    /// 2023-02-30, 24:00:00 and `+0100`), so generated clients and the server would disagree.
    public static func parse(_ text: some StringProtocol) -> Date? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 20, let days = dayNumber(bytes), bytes[10] == UInt8(ascii: "T"),
            let hour = digits(bytes, at: 11, count: 2), bytes[13] == UInt8(ascii: ":"),
            let minute = digits(bytes, at: 14, count: 2), bytes[16] == UInt8(ascii: ":"),
            let second = digits(bytes, at: 17, count: 2), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        var fraction = 0.0
        if bytes[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            var scale = 0.1
            while index < bytes.count, let digit = digits(bytes, at: index, count: 1) {
                fraction += Double(digit) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        guard index < bytes.count else { return nil }
        var offsetSeconds = 0
        switch bytes[index] {
        case UInt8(ascii: "Z"):
            index += 1
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard bytes.count == index + 6, let hours = digits(bytes, at: index + 1, count: 2),
                bytes[index + 3] == UInt8(ascii: ":"), let minutes = digits(bytes, at: index + 4, count: 2),
                hours < 24, minutes < 60
            else { return nil }
            offsetSeconds = (hours * 60 + minutes) * 60 * (bytes[index] == UInt8(ascii: "-") ? -1 : 1)
            index += 6
        default:
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = days * 86_400 + Int64(hour * 3600 + minute * 60 + second - offsetSeconds)
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    /// A calendar date `YYYY-MM-DD` (year 0001 on, a day the month has), as the contract's date
    /// patterns state it.
    public static func parseDay(_ text: some StringProtocol) -> (year: Int, month: Int, day: Int)? {
        let bytes = Array(text.utf8)
        guard bytes.count == 10, dayNumber(bytes) != nil, let year = digits(bytes, at: 0, count: 4),
            let month = digits(bytes, at: 5, count: 2), let day = digits(bytes, at: 8, count: 2)
        else { return nil }
        return (year, month, day)
    }

    /// Days since 1970-01-01 of the `YYYY-MM-DD` at the start of `bytes`, if it is a real day.
    private static func dayNumber(_ bytes: [UInt8]) -> Int64? {
        guard bytes.count >= 10, let year = digits(bytes, at: 0, count: 4), bytes[4] == UInt8(ascii: "-"),
            let month = digits(bytes, at: 5, count: 2), bytes[7] == UInt8(ascii: "-"),
            let day = digits(bytes, at: 8, count: 2), year >= 1, (1...12).contains(month)
        else { return nil }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let lengths = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        guard (1...lengths[month - 1]).contains(day) else { return nil }
        // Howard Hinnant's days_from_civil.
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = Int64((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1)
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// `count` ASCII digits at `index` as a number (never other scripts' digits).
    private static func digits(_ bytes: [UInt8], at index: Int, count: Int) -> Int? {
        guard index + count <= bytes.count else { return nil }
        var value = 0
        for byte in bytes[index..<(index + count)] {
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            value = value * 10 + Int(byte - UInt8(ascii: "0"))
        }
        return value
    }

    /// Days since 1970-01-01 → proleptic Gregorian (year, month, day) (Howard Hinnant's algorithm).
    public static func civil(fromDays days: Int64) -> (Int64, Int, Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * monthIndex + 2) / 5 + 1)
        let month = Int(monthIndex < 10 ? monthIndex + 3 : monthIndex - 9)
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (year, month, day)
    }
}
