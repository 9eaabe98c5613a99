import Foundation
import IntakeCore
import Testing

/// Query filters take RFC 3339 date-times and calendar dates exactly as the contract's patterns
/// state them, so a generated client's validation and the server's agree.
@Suite struct InternetDateParsingTests {
    @Test func readsTheInstantAnOffsetNames() throws {
        #expect(InternetDate.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(InternetDate.parse("2026-11-28T10:30:00+01:00") == InternetDate.parse("2026-11-28T09:30:00Z"))
        #expect(InternetDate.parse("2026-11-28T08:30:00-01:00") == InternetDate.parse("2026-11-28T09:30:00Z"))
        let fraction = try #require(InternetDate.parse("2024-02-29T23:59:59.25Z"))
        #expect(abs(fraction.timeIntervalSince1970 - 1_709_251_199.25) < 1e-6)
        #expect(InternetDate.parse("0001-01-01T00:00:00Z") == Date(timeIntervalSince1970: -62_135_596_800))
        #expect(InternetDate.parse(InternetDate.format(Date(timeIntervalSince1970: 1_764_322_200))) == Date(timeIntervalSince1970: 1_764_322_200))
    }

    @Test(arguments: [
        "2023-02-29T00:00:00Z",  // not a leap year
        "2100-02-29T00:00:00Z",  // nor is a century unless divisible by 400
        "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z", "0000-01-01T00:00:00Z",
        "2026-11-28T24:00:00Z", "2026-11-28T23:60:00Z", "2026-11-28T23:59:60Z",  // no leap second
        "2026-11-28T10:30:00+0100", "2026-11-28T10:30:00+24:00", "2026-11-28t10:30:00z", "2026-11-28 10:30:00Z",
        "2026-11-28T10:30:00", "2026-11-28T10:30Z", "2026-11-28T10:30:00.Z", "2026-11-28T10:30:00Z ", "２０２６-11-28T10:30:00Z",
        "2026-11-28",
    ])
    func refusesWhatThePatternRefuses(_ text: String) {
        #expect(InternetDate.parse(text) == nil)
    }

    @Test func readsCalendarDays() {
        #expect(InternetDate.parseDay("2024-02-29").map { [$0.year, $0.month, $0.day] } == [2024, 2, 29])
        #expect(InternetDate.parseDay("2000-02-29").map { [$0.year, $0.month, $0.day] } == [2000, 2, 29])
        #expect(InternetDate.parseDay("1900-02-29") == nil)
        #expect(InternetDate.parseDay("2026-11-31") == nil)
        #expect(InternetDate.parseDay("2026-11-28T00:00:00Z") == nil)
    }

    /// The contract's own patterns, compiled, agree with the parser on every day of several
    /// years (leap, common, century, four-hundredth) and on impossible months and days.
    @Test func agreesWithTheContractsPatterns() throws {
        let dateTime = try Regex(try Self.contractPattern("DateTimeFilter"))
        let dateOrDateTime = try Regex(try Self.contractPattern("DateOrDateTimeFilter"))
        #expect("".wholeMatch(of: dateTime) != nil, "empty filters nothing")
        var checked = 0
        for year in [4, 1900, 2000, 2023, 2024, 2100, 9999] {
            for month in 0...13 {
                for day in 0...32 {
                    let date = String(format: "%04d-%02d-%02d", year, month, day)
                    let instant = date + "T10:00:00.5+05:30"
                    #expect((instant.wholeMatch(of: dateTime) != nil) == (InternetDate.parse(instant) != nil), "\(instant)")
                    #expect((date.wholeMatch(of: dateOrDateTime) != nil) == (InternetDate.parseDay(date) != nil), "\(date)")
                    #expect((instant.wholeMatch(of: dateOrDateTime) != nil) == (InternetDate.parse(instant) != nil), "\(instant)")
                    checked += 1
                }
            }
        }
        #expect(checked == 7 * 14 * 33)
        for time in ["23:59:59Z", "24:00:00Z", "00:00:60Z", "12:00:00+23:59", "12:00:00-24:00", "12:00:00.123456789Z", "12:00:00.Z"] {
            let text = "2026-11-28T" + time
            #expect((text.wholeMatch(of: dateTime) != nil) == (InternetDate.parse(text) != nil), "\(text)")
        }
    }

    /// The `pattern` of a schema in OpenAPI/openapi.yaml's components.
    static func contractPattern(_ schema: String) throws -> String {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("OpenAPI/openapi.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map(String.init)
        let start = try #require(lines.firstIndex(of: "    \(schema):"))
        let line = try #require(lines[(start + 1)...].first { $0.hasPrefix("      pattern: '") })
        return String(line.dropFirst("      pattern: '".count).dropLast())
    }
}
