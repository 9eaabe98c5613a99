import Foundation
import IntakeCore
import OpenAPIRuntime
import Testing

@testable import IntakeHTTP

/// The API's own date writer must write exactly what the OpenAPI runtime's default wrote.
@Suite struct DateEncodingTests {
    @Test func writesWhatTheRuntimesDefaultWrites() throws {
        let reference = ISO8601DateTranscoder()
        var dates: [Date] = [
            Date(timeIntervalSince1970: 0), Date(timeIntervalSince1970: -1), Date(timeIntervalSince1970: -86_400 * 365 * 30 - 0.5),
            Date(timeIntervalSince1970: 951_782_400),  // 2000-02-29
            Date(timeIntervalSince1970: 4_107_542_399.999),  // 2100-02-28T23:59:59.999
            Date(timeIntervalSince1970: 1_795_824_000.25),
        ]
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<2000 { dates.append(Date(timeIntervalSince1970: Double.random(in: -2e9...4e9, using: &generator))) }
        for date in dates {
            #expect(InternetDate.format(date) == (try reference.encode(date)), "\(date.timeIntervalSince1970)")
        }
    }
}
