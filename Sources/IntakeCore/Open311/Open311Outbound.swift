import Foundation

/// The Open311 GeoReport v2 requests our worker sends to a council's Open311 server, shaped the
/// way FixMyStreet sends them (form-encoded POSTs to `requests.xml` and
/// `servicerequestupdates.xml`), since that is what open311-adapter and council servers accept.
public enum Open311Outbound {
    public typealias Form = [(name: String, value: String)]

    /// `endpoint` + path, the way Open311 clients build URLs (the endpoint ends with `/`).
    public static func url(_ endpoint: String, _ path: String) -> String {
        (endpoint.hasSuffix("/") ? endpoint : endpoint + "/") + path
    }

    /// The POST `requests.xml` body for a new case.
    public static func createForm(_ message: CaseMessage, apiKey: String?, jurisdiction: String?) -> Form {
        let item = message.case
        var form = common(apiKey: apiKey, jurisdiction: jurisdiction)
        form.append(("service_code", item.category.code))
        form.append(("lat", coordinate(item.location.lat)))
        form.append(("long", coordinate(item.location.lon)))
        if let address = item.address { form.append(("address_string", address)) }
        form.append(("description", item.description))
        form += contact(item.reporter)
        if let photo = item.photos.first { form.append(("media_url", photo.url)) }
        for code in item.attributes.keys.sorted() {
            switch item.attributes[code]! {
            case .text(let text): form.append(("attribute[\(code)]", text))
            case .number(let number): form.append(("attribute[\(code)]", format(number)))
            case .list(let values): form += values.map { ("attribute[\(code)][]", $0) }
            }
        }
        // Lets the council's server find the case in our API, as FixMyStreet sends its own id.
        form.append(("attribute[civic_intake_reference]", item.reference))
        return form
    }

    /// The POST `servicerequestupdates.xml` body for a later event of a case the council's
    /// server already knows as `serviceRequestID`.
    public static func updateForm(
        _ message: CaseMessage,
        serviceRequestID: String,
        apiKey: String?,
        jurisdiction: String?
    )
        -> Form
    {
        var form = common(apiKey: apiKey, jurisdiction: jurisdiction)
        form.append(("service_request_id", serviceRequestID))
        form.append(("update_id", message.messageID))
        form.append(("updated_datetime", timestamp(message.event.createdAt)))
        form.append(("status", message.case.status.uppercased()))
        form.append(("description", message.event.publicNote ?? (message.event.photo != nil ? "Photo added" : "Updated")))
        form += contact(message.case.reporter, defaultName: "-")
        if let photo = message.event.photo { form.append(("media_url", photo.url)) }
        form.append(("service_code", message.case.category.code))
        return form
    }

    /// The query of `tokens/{token}.xml`.
    public static func tokenQuery(apiKey: String?, jurisdiction: String?) -> String {
        let pairs = common(apiKey: apiKey, jurisdiction: jurisdiction)
        return pairs.isEmpty ? "" : "?" + encode(pairs)
    }

    public static func encode(_ form: Form) -> String {
        form.map { escape($0.name) + "=" + escape($0.value) }.joined(separator: "&")
    }

    /// What a council server answered to a new request: its id, or a token to resolve later.
    public struct Answer: Sendable, Equatable {
        public var serviceRequestID: String?
        public var token: String?

        public init(serviceRequestID: String?, token: String?) {
            self.serviceRequestID = serviceRequestID
            self.token = token
        }
    }

    /// Reads `service_request_id` / `token` from an XML or JSON answer (requests, tokens).
    public static func parseAnswer(_ body: String) -> Answer {
        Answer(serviceRequestID: field("service_request_id", in: body), token: field("token", in: body))
    }

    // MARK: -

    static func common(apiKey: String?, jurisdiction: String?) -> Form {
        var form: Form = []
        if let jurisdiction { form.append(("jurisdiction_id", jurisdiction)) }
        if let apiKey { form.append(("api_key", apiKey)) }
        return form
    }

    static func contact(_ reporter: ReporterContact?, defaultName: String? = nil) -> Form {
        var form: Form = []
        // Open311 has first and last names; split at the first space as FixMyStreet does.
        let name = reporter?.name ?? ""
        let parts = name.split(separator: " ", maxSplits: 1).map(String.init)
        if let first = parts.first ?? defaultName { form.append(("first_name", first)) }
        if let last = parts.count > 1 ? parts[1] : defaultName { form.append(("last_name", last)) }
        if let email = reporter?.email { form.append(("email", email)) }
        if let phone = reporter?.phone { form.append(("phone", phone)) }
        return form
    }

    static func coordinate(_ value: Double) -> String { String(format: "%.6f", value) }

    /// Whole numbers without a decimal point, as Open311 clients expect them.
    public static func format(_ number: Double) -> String {
        number == number.rounded() && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    static func timestamp(_ date: Date) -> String {
        InternetDate.format(date)
    }

    static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    public static func escape(_ text: String) -> String {
        text.addingPercentEncoding(withAllowedCharacters: unreserved) ?? text
    }

    /// The first `<name>value</name>` or `"name": "value"` (or a number) in `body`.
    static func field(_ name: String, in body: String) -> String? {
        if let open = body.range(of: "<\(name)>"), let close = body.range(of: "</\(name)>", range: open.upperBound..<body.endIndex) {
            let value = unescapeXML(String(body[open.upperBound..<close.lowerBound])).trimmingCharacters(in: .whitespacesAndNewlines)
            return value.isEmpty ? nil : value
        }
        guard let key = body.range(of: "\"\(name)\"") else { return nil }
        var rest = body[key.upperBound...].drop { $0 == " " || $0 == "\n" || $0 == "\t" }
        guard rest.first == ":" else { return nil }
        rest = rest.dropFirst().drop { $0 == " " || $0 == "\n" || $0 == "\t" }
        if rest.first == "\"" {
            let value = rest.dropFirst().prefix { $0 != "\"" }
            return value.isEmpty ? nil : String(value)
        }
        let value = rest.prefix { $0.isNumber || $0 == "-" }
        return value.isEmpty ? nil : String(value)
    }

    static func unescapeXML(_ text: String) -> String {
        guard text.contains("&") else { return text }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&apos;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }
}
