/// One invalid field: where it is (RFC 6901 pointer into the request body or `/query/name`)
/// and what is wrong with it.
public struct FieldError: Sendable, Equatable, Codable {
    public var pointer: String
    public var detail: String
    public var code: String?

    public init(pointer: String, detail: String, code: String? = nil) {
        self.pointer = pointer
        self.detail = detail
        self.code = code
    }
}

/// A request or a stored value that breaks a domain rule, field by field: what the validators of
/// councils, categories, destinations, reports and queries throw. Each surface words it its own
/// way (a 422 `validation_failed` problem in the REST API, an Open311 error on the facade).
public struct ValidationFailure: Error, Sendable, Equatable {
    public var fieldErrors: [FieldError]
    /// A summary for people when the field errors alone do not say it.
    public var detail: String?

    public init(_ fieldErrors: [FieldError], detail: String? = nil) {
        self.fieldErrors = fieldErrors
        self.detail = detail
    }

    public static func validation(_ errors: [FieldError], detail: String? = nil) -> ValidationFailure {
        ValidationFailure(errors, detail: detail)
    }
}
