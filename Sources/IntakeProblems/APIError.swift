import IntakeCore

/// An error a client can act on, rendered as an RFC 9457 problem by the REST API (and turned into
/// an Open311 error by the facade).
///
/// `code` is the stable, machine-readable name clients branch on; `title` and `detail` are for
/// people. Field errors name the offending field with a JSON pointer.
public struct APIError: Error, Sendable, Equatable {
    public var status: Int
    public var code: String
    public var title: String
    public var detail: String?
    public var fieldErrors: [FieldError]
    /// Seconds a client should wait before retrying (sent as `Retry-After`).
    public var retryAfter: Int?
    /// Extra response headers, e.g. `Allow` on a 405.
    public var headers: [String: String]
    /// Extra members of the problem body (RFC 9457 extensions), e.g. `available`.
    public var extensions: [String: [String]] = [:]

    public init(
        status: Int,
        code: String,
        title: String,
        detail: String? = nil,
        fieldErrors: [FieldError] = [],
        retryAfter: Int? = nil,
        headers: [String: String] = [:]
    ) {
        self.status = status
        self.code = code
        self.title = title
        self.detail = detail
        self.fieldErrors = fieldErrors
        self.retryAfter = retryAfter
        self.headers = headers
    }
}

extension APIError {
    public static func badRequest(_ detail: String, code: String = "bad_request") -> APIError {
        APIError(status: 400, code: code, title: "Bad request", detail: detail)
    }

    public static func malformedJSON(_ detail: String) -> APIError {
        APIError(status: 400, code: "malformed_json", title: "Malformed JSON", detail: detail)
    }

    public static func unauthorized(_ detail: String) -> APIError {
        APIError(
            status: 401,
            code: "unauthorized",
            title: "Unauthorized",
            detail: detail,
            headers: ["WWW-Authenticate": "Bearer"]
        )
    }

    public static func forbidden(_ detail: String) -> APIError {
        APIError(status: 403, code: "forbidden", title: "Forbidden", detail: detail)
    }

    public static func notFound(_ detail: String = "No resource at this address.") -> APIError {
        APIError(status: 404, code: "not_found", title: "Not found", detail: detail)
    }

    public static func methodNotAllowed(allowed: [String]) -> APIError {
        APIError(
            status: 405,
            code: "method_not_allowed",
            title: "Method not allowed",
            detail: "This resource supports \(allowed.joined(separator: ", ")).",
            headers: ["Allow": allowed.joined(separator: ", ")]
        )
    }

    public static func conflict(_ detail: String, code: String = "conflict") -> APIError {
        APIError(status: 409, code: code, title: "Conflict", detail: detail)
    }

    public static func payloadTooLarge(limit: Int) -> APIError {
        APIError(
            status: 413,
            code: "payload_too_large",
            title: "Payload too large",
            detail: "The request body is larger than the \(limit) bytes allowed here."
        )
    }

    public static func unsupportedMediaType(_ detail: String) -> APIError {
        APIError(status: 415, code: "unsupported_media_type", title: "Unsupported media type", detail: detail)
    }

    public static func validation(_ errors: [FieldError], detail: String? = nil) -> APIError {
        let summary =
            detail
            ?? (errors.count == 1
                ? "\(errors[0].pointer): \(errors[0].detail)"
                : "\(errors.count) fields are invalid.")
        return APIError(
            status: 422,
            code: "validation_failed",
            title: "Validation failed",
            detail: summary,
            fieldErrors: errors
        )
    }

    public static func databaseUnavailable(retryAfter: Int = 5) -> APIError {
        APIError(
            status: 503,
            code: "database_unavailable",
            title: "Service unavailable",
            detail: "The database cannot be reached. Try again shortly.",
            retryAfter: retryAfter
        )
    }

    public static let internalError = APIError(
        status: 500,
        code: "internal_error",
        title: "Internal server error",
        detail: "Something went wrong on our side. The request id identifies it in our logs."
    )
}

extension APIError {
    /// A domain rule broken: 422 `validation_failed`, naming each field.
    public init(_ failure: ValidationFailure) {
        self = .validation(failure.fieldErrors, detail: failure.detail)
    }
}
