import Foundation
import Hummingbird
import IntakeCore

/// The case list's filters as the form sends them (`status`, `category`, `from`, `to`, `q`),
/// checked with the API's own rules (`ReportQuery.parse`), each error naming its field.
struct CaseFilters {
    var status: String
    var category: String
    var from: String
    var to: String
    var q: String

    /// The page link's cursor, when there is one.
    var cursor: String?

    /// From the raw query string, read as a form sends it (`+` is a space, as Hummingbird's own
    /// decoding does not take it).
    init(query: String?) {
        let fields = Self.fields(query)
        func value(_ name: String) -> String { fields[name].map { $0.trimmingCharacters(in: .whitespaces) } ?? "" }
        cursor = fields["cursor"].flatMap { $0.isEmpty ? nil : $0 }
        status = value("status")
        category = value("category")
        from = value("from")
        to = value("to")
        q = value("q")
    }

    /// A raw query string's fields, the first of each name.
    static func fields(_ query: String?) -> [String: String] {
        var fields: [String: String] = [:]
        for pair in (query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first, fields[name] == nil { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }

    struct Problem {
        var field: String
        var message: String
    }

    var values: [String: String] { ["status": status, "category": category, "from": from, "to": to, "q": q] }

    var statusOptions: [[String: Any]] {
        var options: [[String: Any]] = [["value": "", "label": "Any", "selected": status.isEmpty]]
        for (value, label) in [("open", "Open (any)"), ("closed", "Closed (any)")] {
            options.append(["value": value, "label": label, "selected": status == value])
        }
        for one in ReportStatus.allCases {
            options.append(["value": one.rawValue, "label": NotificationMessage.label(one), "selected": status == one.rawValue])
        }
        return options
    }

    func query(council: String, cursor: String?) -> Result<ReportQuery, ProblemList> {
        var problems: [Problem] = []
        var since: String?
        var until: String?
        if !from.isEmpty {
            if let day = Self.day(from) { since = day } else { problems.append(Problem(field: "from", message: "Enter the from date as YYYY-MM-DD")) }
        }
        if !to.isEmpty {
            if let day = Self.day(to, plusDays: 1) {
                until = day
            } else {
                problems.append(Problem(field: "to", message: "Enter the to date as YYYY-MM-DD"))
            }
        }
        if q.unicodeScalars.count > 200 || q.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            problems.append(Problem(field: "q", message: "Enter at most 200 characters of text"))
        }
        do {
            var query = try ReportQuery.parse(
                council: council,
                category: category.isEmpty ? nil : category,
                status: status.isEmpty ? nil : status,
                bbox: nil,
                since: since,
                until: until,
                limit: 50,
                cursor: cursor
            )
            query.text = q.isEmpty ? nil : q
            guard problems.isEmpty else { return .failure(ProblemList(problems)) }
            return .success(query)
        } catch {
            for field in error.fieldErrors {
                let name = field.pointer.replacingOccurrences(of: "/query/", with: "")
                switch name {
                case "category": problems.append(Problem(field: "category", message: "Enter a category code, such as fly_tipping"))
                case "status": problems.append(Problem(field: "status", message: "Choose a status from the list"))
                case "cursor": problems.append(Problem(field: "cases", message: "That page link has expired: filter again"))
                default: problems.append(Problem(field: name, message: "Check the \(name) filter"))
                }
            }
            return .failure(ProblemList(problems))
        }
    }

    struct ProblemList: Error, Sequence {
        var problems: [Problem]
        init(_ problems: [Problem]) { self.problems = problems }
        func makeIterator() -> IndexingIterator<[Problem]> { problems.makeIterator() }
    }

    /// `YYYY-MM-DD` (a real day) as the start of that day, plus `plusDays`, in RFC 3339.
    static func day(_ text: String, plusDays: Int = 0) -> String? {
        guard text.count == 10, let (year, month, day) = InternetDate.parseDay(text) else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        guard let start = calendar.date(from: DateComponents(year: year, month: month, day: day)),
            let shifted = calendar.date(byAdding: .day, value: plusDays, to: start)
        else { return nil }
        return InternetDate.format(shifted)
    }

    /// The filters as a query string, with the next page's cursor when there is one.
    func queryString(cursor: String?) -> String {
        var items = [URLQueryItem]()
        for (name, value) in [("status", status), ("category", category), ("from", from), ("to", to), ("q", q)] where !value.isEmpty {
            items.append(URLQueryItem(name: name, value: value))
        }
        if let cursor { items.append(URLQueryItem(name: "cursor", value: cursor)) }
        var components = URLComponents()
        components.queryItems = items
        return components.percentEncodedQuery ?? ""
    }
}
