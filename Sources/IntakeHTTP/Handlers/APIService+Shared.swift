import Foundation
import HTTPTypes
import IntakeCore
import IntakeProblems
import IntakeServices

// What several of the REST surface's handlers and middleware share: the headers it reads and
// writes beyond HTTPTypes' own, the checks of common query parameters and headers, and the
// staff check that loads a council.

extension HTTPField.Name {
    static let rateLimit = Self("RateLimit")!
    static let rateLimitPolicy = Self("RateLimit-Policy")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xForwardedFor = Self("X-Forwarded-For")!
    static let xForwardedProto = Self("X-Forwarded-Proto")!
    static let xFrameOptions = Self("X-Frame-Options")!
    static let xRequestID = Self("X-Request-Id")!
    static let xTrackingToken = Self("X-Tracking-Token")!
}

extension APIService {
    func staffCouncil(_ slug: String) async throws -> Council {
        try await auth.requireCouncilStaff(of: try await councils.find(slug: slug), slug: slug).1
    }

    static func limit(_ value: Int?, default fallback: Int, max: Int) throws -> Int {
        guard let value else { return fallback }
        guard (1...max).contains(value) else {
            throw APIError.validation([FieldError(pointer: "/query/limit", detail: "must be 1–\(max)", code: "out_of_range")])
        }
        return value
    }

    /// The `next_cursor` of the audit log and the dead-letter lists: 1–18 digits without a sign,
    /// as the contract's `Cursor` pattern says (so it always fits an Int64); empty is the first page.
    static func sequenceCursor(_ cursor: String?) throws -> Int64? {
        guard let cursor, !cursor.isEmpty else { return nil }
        guard cursor.wholeMatch(of: /[1-9][0-9]{0,17}/) != nil, let value = Int64(cursor) else {
            throw APIError.validation([FieldError(pointer: "/query/cursor", detail: "is not a cursor this API gave", code: "invalid_cursor")])
        }
        return value
    }

    /// The key as sent: a Structured Field string ("…") or a bare token, 1–255 characters.
    static func idempotencyKey(_ raw: String) throws -> String {
        var key = raw.trimmingCharacters(in: .whitespaces)
        if key.count >= 2, key.hasPrefix("\""), key.hasSuffix("\"") { key = String(key.dropFirst().dropLast()) }
        // Printable ASCII only, as the contract's pattern says.
        guard (1...255).contains(key.unicodeScalars.count), key.unicodeScalars.allSatisfy({ (0x20...0x7E).contains($0.value) }) else {
            throw APIError.badRequest("The Idempotency-Key header must be 1–255 printable ASCII characters.", code: "invalid_idempotency_key")
        }
        return key
    }
}
