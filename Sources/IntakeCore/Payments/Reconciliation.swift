import Crypto
import Foundation

/// One council's payments for one day (the day the money was taken, UK time), in the form a
/// revenues import is checked against: the lines, their count and total, totals per state, and
/// a SHA-256 checksum over the lines exactly as the CSV writes them.
public struct Reconciliation: Sendable, Equatable {
    public struct Line: Sendable, Equatable {
        public var intentID: UUID
        public var paidAt: Date
        public var accountReference: String
        public var fundCode: String
        public var amountPence: Int64
        public var provider: String
        public var providerReference: String
        public var state: PaymentState

        public init(
            intentID: UUID,
            paidAt: Date,
            accountReference: String,
            fundCode: String,
            amountPence: Int64,
            provider: String,
            providerReference: String,
            state: PaymentState
        ) {
            self.intentID = intentID
            self.paidAt = paidAt
            self.accountReference = accountReference
            self.fundCode = fundCode
            self.amountPence = amountPence
            self.provider = provider
            self.providerReference = providerReference
            self.state = state
        }
    }

    public struct Total: Sendable, Equatable {
        public var count: Int
        public var totalPence: Int64
    }

    public static let csvHeader = "intent_id,paid_at,account_reference,fund_code,amount_pence,provider,provider_reference,state"

    public var council: String
    /// YYYY-MM-DD, Europe/London.
    public var date: String
    public var lines: [Line]

    public init(council: String, date: String, lines: [Line]) {
        self.council = council
        self.date = date
        self.lines = lines.sorted { ($0.paidAt, $0.intentID.uuidString) < ($1.paidAt, $1.intentID.uuidString) }
    }

    public var count: Int { lines.count }
    public var totalPence: Int64 { lines.reduce(0) { $0 + $1.amountPence } }

    public var totalsByState: [PaymentState: Total] {
        var totals: [PaymentState: Total] = [:]
        for line in lines {
            var total = totals[line.state] ?? Total(count: 0, totalPence: 0)
            total.count += 1
            total.totalPence += line.amountPence
            totals[line.state] = total
        }
        return totals
    }

    /// Each line as a CSV row, in order.
    public var csvRows: [String] {
        lines.map { line in
            [
                line.intentID.uuidString.lowercased(), Self.timestamp(line.paidAt), line.accountReference, line.fundCode,
                String(line.amountPence), line.provider, line.providerReference, line.state.rawValue,
            ].map(Self.csvField).joined(separator: ",")
        }
    }

    /// The whole file: header, then one row per line, each ending in CRLF (RFC 4180).
    public var csv: String {
        ([Self.csvHeader] + csvRows).map { $0 + "\r\n" }.joined()
    }

    /// Lower-case hex SHA-256 of the data rows exactly as in the CSV (each with its CRLF, no
    /// header): an empty day has the hash of nothing.
    public var checksum: String {
        let text = csvRows.map { $0 + "\r\n" }.joined()
        return SHA256.hash(data: Data(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }

    static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601.year().month().day().dateSeparator(.dash).time(includingFractionalSeconds: false).timeSeparator(.colon)) + "Z"
    }

    /// Quotes a field that needs it, and defuses text a spreadsheet would run as a formula.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.first, "=+-@".contains(first), Int64(text) == nil { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// The UTC instants a UK calendar day spans (it is 23 or 25 hours long when the clocks change).
    public static func londonDay(_ date: String) -> (start: Date, end: Date)? {
        guard let (year, month, day) = InternetDate.parseDay(date) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        guard let london = TimeZone(identifier: "Europe/London") else { return nil }
        calendar.timeZone = london
        let components = DateComponents(year: year, month: month, day: day)
        guard components.isValidDate(in: calendar), let start = calendar.date(from: components),
            let end = calendar.date(byAdding: .day, value: 1, to: start)
        else { return nil }
        return (start, end)
    }
}
