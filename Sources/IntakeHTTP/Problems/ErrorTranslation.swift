import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeStorage
import OpenAPIRuntime

/// Maps anything a handler, the generated server or the router throws to the problem a client
/// should see. Unknown errors become a 500 that reveals nothing; the log keeps the details.
enum ErrorTranslation {
    static func problem(for error: any Error) -> APIError {
        if let problem = APIError.fromService(error) { return problem }
        switch error {
        case let failure as ValidationFailure:
            return APIError(failure)
        case let apiError as APIError:
            return apiError
        case let serverError as ServerError:
            return problem(for: serverError)
        case let decodingError as DecodingError:
            return problem(for: decodingError)
        case let httpError as any HTTPResponseError:
            return problem(forStatus: Int(httpError.status.code), detail: nil)
        default:
            if DatabaseErrors.sqlState(error) == "22021" { return .unstorableCharacter }
            return DatabaseErrors.isUnavailable(error) ? .databaseUnavailable() : .internalError
        }
    }

    /// The generated server wraps handler errors, decoding errors and its own request checks.
    private static func problem(for error: ServerError) -> APIError {
        let underlying = error.underlyingError
        if underlying is APIError || underlying is ValidationFailure || DatabaseErrors.isUnavailable(underlying)
            || APIError.fromService(underlying) != nil
            || DatabaseErrors.sqlState(underlying) == "22021"
        {
            return problem(for: underlying)
        }
        let status = Int(error.httpStatus.code)
        // Past here only the generated server's own checks of the request (400, 415…) are the
        // client's; a handler's unexpected error (a stored row that does not decode) is a 500.
        guard (400..<500).contains(status) else { return .internalError }
        if error.operationID == "createPaymentIntent", error.request.headerFields[HTTPField.Name("Idempotency-Key")!] == nil {
            return .idempotencyKeyRequired
        }
        // A query parameter the generated server could not read (or a required one missing).
        if status == 400,
            let problem = QueryParameterProblems.problem(operationID: error.operationID, path: error.request.path)
        {
            return problem
        }
        if underlying is DecodingError { return problem(for: underlying) }
        // The runtime's words for a required body that is absent (RuntimeError is not public).
        if status == 400 && error.causeDescription == "Missing required request body" {
            return .malformedJSON(JSONSyntax.describeError(in: Data()))
        }
        if (400..<500).contains(status) {
            return problem(forStatus: status, detail: error.causeDescription)
        }
        return .internalError
    }

    /// JSON that does not parse is a 400 with the parse position; JSON that parses but has the
    /// wrong shape is a 422 that points at the field.
    static func problem(for error: DecodingError) -> APIError {
        switch error {
        case .dataCorrupted(let context) where context.codingPath.isEmpty:
            return .malformedJSON(parseFailureDetail(context))
        case .dataCorrupted(let context):
            return .validation([FieldError(pointer: pointer(context.codingPath), detail: "has an invalid value", code: "invalid")])
        case .typeMismatch(let type, let context):
            return .validation([
                FieldError(pointer: pointer(context.codingPath), detail: "must be \(jsonTypeName(type))", code: "wrong_type")
            ])
        case .valueNotFound(let type, let context):
            return .validation([
                FieldError(pointer: pointer(context.codingPath), detail: "must be \(jsonTypeName(type)), not null", code: "required")
            ])
        case .keyNotFound(let key, let context):
            return .validation([
                FieldError(pointer: pointer(context.codingPath + [key]), detail: "is required", code: "required")
            ])
        @unknown default:
            return .malformedJSON("The request body could not be read as JSON.")
        }
    }

    private static func parseFailureDetail(_ context: DecodingError.Context) -> String {
        // Foundation puts the position ("around line 1, column 12") in the underlying error.
        if let underlying = context.underlyingError {
            let nsError = underlying as NSError
            if let text = nsError.userInfo[NSDebugDescriptionErrorKey] as? String { return "Invalid JSON: \(text)" }
            return "Invalid JSON: \(underlying)"
        }
        return "Invalid JSON: \(context.debugDescription)"
    }

    static func pointer(_ path: [any CodingKey]) -> String {
        JSONPointer.from(path.map { $0.intValue.map(String.init) ?? $0.stringValue })
    }

    private static func jsonTypeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type, is Substring.Type: "a string"
        case is Bool.Type: "true or false"
        case is Int.Type, is Int64.Type, is Int32.Type: "a whole number"
        case is Double.Type, is Float.Type: "a number"
        case is [Any].Type: "an array"
        default:
            "\(type)".hasPrefix("Array") ? "an array" : ("\(type)".hasPrefix("Dictionary") ? "an object" : "of another type")
        }
    }

    static func problem(forStatus status: Int, detail: String?) -> APIError {
        switch status {
        case 400: return .badRequest(detail ?? "The request is malformed.")
        case 404: return .notFound()
        case 406:
            return APIError(
                status: 406,
                code: "not_acceptable",
                title: "Not acceptable",
                detail: detail ?? "No representation matches the Accept header."
            )
        case 413: return APIError(status: 413, code: "payload_too_large", title: "Payload too large", detail: detail)
        case 415: return .unsupportedMediaType(detail ?? "This content type is not accepted here.")
        case 422: return .validation([], detail: detail)
        default:
            return APIError(status: status, code: "http_\(status)", title: "Request failed", detail: detail)
        }
    }

    /// For logs only: the full error, including what PostgreSQL said.
    static func logDescription(_ error: any Error) -> String {
        if let serverError = error as? ServerError {
            return "\(serverError.operationID): \(logDescription(serverError.underlyingError))"
        }
        if DatabaseErrors.sqlState(error) != nil || error is DatabaseUnavailable {
            return DatabaseErrors.summary(error)
        }
        return String(reflecting: error)
    }
}

extension APIError {
    /// PostgreSQL text cannot hold a NUL character (SQLSTATE 22021). The contract's patterns keep
    /// NUL out of the fields that reach SQL; this is the net under any it does not name.
    static let unstorableCharacter = APIError.badRequest("The request holds a character that cannot be stored (NUL).")
}
