import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices

/// Reads request bodies for the handlers below it.
///
/// - Refuses bodies over the configured size (JSON or photo) with 413 before any handler sees
///   them: a declared Content-Length at once, a chunked body as soon as it goes over.
/// - When a handler finds the JSON malformed, says where: Foundation's decoder on Linux reports
///   no position, so the collected body is scanned again on that (rare) path.
struct RequestBodyMiddleware: RouterMiddleware {
    typealias Context = IntakeRequestContext
    let maxJSONBodyBytes: Int
    let maxMediaBytes: Int

    /// The fields of each create, PATCH and settings body (a test checks them against the
    /// contract's CouncilCreate/Update, CategoryCreate/Update, DestinationCreate/Update,
    /// NotifySettingsPut, AlertCreate). The contract has
    /// no nullable field, so a null for one of them is refused naming it; other members are the
    /// caller's and are ignored.
    static let bodyFields: [String: Set<String>] = [
        "POST /v1/councils": ["slug", "name", "tier", "code", "contact"],
        "PATCH /v1/councils/{slug}": ["name", "tier", "code", "contact"],
        "POST /v1/councils/{slug}/categories": categoryFields.union(["code"]),
        "PATCH /v1/councils/{slug}/categories/{code}": categoryFields,
        "POST /v1/councils/{slug}/destinations": destinationFields.union(["name", "kind"]),
        "PATCH /v1/councils/{slug}/destinations/{name}": destinationFields.union(["enabled"]),
        "PUT /v1/councils/{slug}/notify-settings": [
            "api_key", "templates", "email_reply_to_id", "sms_sender_id", "channels", "callback_token",
        ],
        "POST /v1/alerts/erase": ["email"],
        "POST /v1/councils/{slug}/staff": ["email", "name", "role", "password"],
        "POST /v1/alerts": [
            "kind", "report_id", "lat", "lon", "radius_metres", "council", "category", "email", "webhook_url", "frequency",
        ],
    ]
    private static let categoryFields: Set<String> = [
        "name", "description", "group", "keywords", "attributes", "photo_required", "anonymous_allowed", "contact_required",
        "destination",
    ]
    /// Members of the objects these bodies nest (an object, or an array of objects, held by a
    /// member of this name) that must not be null either.
    static let nestedFields: [String: Set<String>] = [
        "contact": ["email", "phone", "website"],
        "attributes": ["code", "description", "datatype", "datatype_description", "required", "variable", "order", "values"],
        "values": ["key", "name"],
        "templates": Set(NotifySettings.Template.allCases.map(\.rawValue)),
    ]
    private static let destinationFields: Set<String> = [
        "default", "url", "open311_api_key", "open311_jurisdiction_id", "timeout_seconds", "max_attempts",
        "visibility_timeout_seconds", "receives_payments",
    ]

    /// The body, kept in the request for whoever reads it next; over `limit` a 413 problem.
    static func collect(_ request: inout Request, upTo limit: Int) async throws -> ByteBuffer {
        do {
            return try await request.collectBody(upTo: limit)
        } catch let error as any HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.payloadTooLarge(limit: limit)
        }
    }

    /// Photos may be larger than JSON; multipart adds its part headers on top of the image.
    func limit(for contentType: String?) -> Int {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("image/") || type.hasPrefix("application/octet-stream") { return maxMediaBytes }
        if type.hasPrefix("multipart/form-data") { return maxMediaBytes + 16 * 1024 }
        return maxJSONBodyBytes
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        // The Open311 facade sets its own limit (several photos in one form) and answers an
        // oversize request in Open311's format, not as a problem. Notify's callbacks check their
        // bearer token before they read a body, and read it themselves.
        guard request.method == .post || request.method == .put || request.method == .patch,
            !request.uri.path.hasPrefix("/open311/"), !request.uri.path.hasPrefix("/v1/notify-callbacks/")
        else {
            return try await next(request, context)
        }
        let limit = limit(for: request.headers[.contentType])
        if let declared = request.headers[.contentLength].flatMap({ Int($0) }), declared > limit {
            throw APIError.payloadTooLarge(limit: limit)
        }
        var request = request
        let body = try await Self.collect(&request, upTo: limit)
        // The contract has no nullable field: leaving a field out is how to keep it (PATCH) or
        // take its default (create); an explicit null would otherwise be taken silently as either.
        if let fields = context.endpointPath.flatMap({ Self.bodyFields["\(request.method.rawValue) \($0)"] }),
            let nulls = JSONSyntax.nulls(in: Data(body.readableBytesView), among: fields, nested: Self.nestedFields), !nulls.isEmpty
        {
            let leaveOut = request.method == .patch ? "to keep the current value" : "for the default"
            throw APIError.validation(
                nulls.map { FieldError(pointer: $0, detail: "must not be null (leave it out \(leaveOut))", code: "wrong_type") }
            )
        }
        // PostgreSQL text cannot hold NUL, and no field has a use for it: refused naming the field
        // (as the contract's description says) before a handler would store it.
        if (request.headers[.contentType] ?? "").lowercased().contains("json"), JSONSyntax.mayHoldNUL(body.readableBytesView) {
            let pointers = JSONSyntax.stringsHoldingNUL(in: Data(body.readableBytesView))
            if !pointers.isEmpty {
                throw APIError.validation(
                    pointers.map { FieldError(pointer: $0, detail: "must not contain the NUL character", code: "invalid_character") }
                )
            }
        }
        do {
            return try await next(request, context)
        } catch {
            let problem = ErrorTranslation.problem(for: error)
            guard problem.code == "malformed_json" else { throw error }
            let data = Data(body.readableBytesView)
            // Foundation reports a fractional number where a whole one is expected as invalid
            // JSON, with no field: when the JSON is valid, name the fractional numbers instead.
            let fractional = JSONSyntax.fractionalNumbers(in: data)
            if !fractional.isEmpty {
                throw APIError.validation(fractional.map { FieldError(pointer: $0, detail: "must be a whole number", code: "wrong_type") })
            }
            throw APIError.malformedJSON(JSONSyntax.describeError(in: data))
        }
    }
}

/// Finds where a JSON document stops being JSON, as "line L, column C".
enum JSONSyntax {
    /// Pointers to the members among `fields` of a JSON object whose value is null, and to those
    /// among `nested[name]` of the objects a member `name` holds (alone or in an array), at any
    /// depth; nil when the document is not an object.
    static func nulls(in data: Data, among fields: Set<String>, nested: [String: Set<String>] = [:]) -> [String]? {
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        var found: [String] = []
        func check(_ object: [String: Any], _ fields: Set<String>, _ pointer: String) {
            for (key, value) in object where fields.contains(key) {
                let path = pointer + "/" + JSONPointer.escape(key)
                if value is NSNull { found.append(path) }
                guard let inner = nested[key] else { continue }
                if let child = value as? [String: Any] { check(child, inner, path) }
                if let children = value as? [Any] {
                    for (index, child) in children.enumerated() {
                        if let child = child as? [String: Any] { check(child, inner, path + "/\(index)") }
                    }
                }
            }
        }
        check(object, fields, "")
        return found.sorted()
    }

    /// Whether the JSON text has a `\u0000` escape (JSON cannot carry a raw NUL in a string), so
    /// that bodies without one are not parsed twice.
    static func mayHoldNUL(_ bytes: some Collection<UInt8>) -> Bool {
        let needle = Array(#"\u0000"#.utf8)
        var matched = 0
        for byte in bytes {
            let expected = needle[matched]
            if byte == expected {
                matched += 1
                if matched == needle.count { return true }
            } else {
                matched = byte == needle[0] ? 1 : 0
            }
        }
        return false
    }

    /// Pointers to the strings (values, or member names) of a valid JSON document holding NUL.
    static func stringsHoldingNUL(in data: Data) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [] }
        var found: [String] = []
        func walk(_ value: Any, _ pointer: String) {
            switch value {
            case let object as [String: Any]:
                for (key, child) in object.sorted(by: { $0.key < $1.key }) {
                    let path = pointer + "/" + JSONPointer.escape(key)
                    if key.unicodeScalars.contains("\u{0}") { found.append(path) } else { walk(child, path) }
                }
            case let array as [Any]:
                for (index, child) in array.enumerated() { walk(child, pointer + "/\(index)") }
            case let text as String:
                if text.unicodeScalars.contains("\u{0}") { found.append(pointer) }
            default:
                return
            }
        }
        walk(root, "")
        return found
    }

    /// Pointers to the numbers with a fractional part in a valid JSON document.
    static func fractionalNumbers(in data: Data) -> [String] {
        guard let root = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else { return [] }
        var found: [String] = []
        func walk(_ value: Any, _ pointer: String) {
            switch value {
            case let object as [String: Any]:
                for (key, child) in object.sorted(by: { $0.key < $1.key }) { walk(child, pointer + "/" + JSONPointer.escape(key)) }
            case let array as [Any]:
                for (index, child) in array.enumerated() { walk(child, pointer + "/\(index)") }
            case is Bool, is String:
                return
            case let number as NSNumber:
                let double = number.doubleValue
                if double.isFinite, double != double.rounded() { found.append(pointer) }
            default:
                return
            }
        }
        walk(root, "")
        return found
    }

    static func describeError(in data: Data) -> String {
        if data.isEmpty { return "The request body is empty; expected a JSON object." }
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return "The request body is not the JSON this operation expects."
        } catch {
            let message = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? "not valid JSON"
            guard let offset = characterOffset(in: message) else { return "Invalid JSON: \(message)" }
            let (line, column) = lineAndColumn(of: offset, in: data)
            let reason = message.components(separatedBy: " around character").first ?? message
            return "Invalid JSON at line \(line), column \(column): \(reason)."
        }
    }

    /// "Invalid value around character 23." → 23
    private static func characterOffset(in message: String) -> Int? {
        guard let range = message.range(of: "around character ") else { return nil }
        return Int(message[range.upperBound...].prefix { $0.isNumber })
    }

    private static func lineAndColumn(of offset: Int, in data: Data) -> (Int, Int) {
        var line = 1
        var column = 1
        for (index, byte) in data.enumerated() where index < offset {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else if byte & 0xC0 != 0x80 {  // count characters, not UTF-8 continuation bytes
                column += 1
            }
        }
        return (line, column)
    }
}
