import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems

/// Renders an `APIError` as `application/problem+json` (RFC 9457).
enum ProblemResponse {
    struct Body: Encodable {
        var type: String
        var title: String
        var status: Int
        var detail: String?
        var code: String
        var request_id: String?
        var errors: [FieldError]?
        var extensions: [String: [String]]

        enum CodingKeys: String, CodingKey { case type, title, status, detail, code, request_id, errors }
        struct ExtensionKey: CodingKey {
            var stringValue: String
            var intValue: Int? { nil }
            init(stringValue: String) { self.stringValue = stringValue }
            init?(intValue: Int) { nil }
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(type, forKey: .type)
            try container.encode(title, forKey: .title)
            try container.encode(status, forKey: .status)
            try container.encodeIfPresent(detail, forKey: .detail)
            try container.encode(code, forKey: .code)
            try container.encodeIfPresent(request_id, forKey: .request_id)
            try container.encodeIfPresent(errors, forKey: .errors)
            var extra = encoder.container(keyedBy: ExtensionKey.self)
            for (key, value) in extensions.sorted(by: { $0.key < $1.key }) {
                try extra.encode(value, forKey: ExtensionKey(stringValue: key))
            }
        }
    }

    static func make(_ problem: APIError, requestID: String?) -> Response {
        let body = Body(
            // A URN names the problem type without pointing at a page that may not exist.
            type: "urn:civic-intake:problem:\(problem.code)",
            title: problem.title,
            status: problem.status,
            detail: problem.detail,
            code: problem.code,
            request_id: requestID,
            errors: problem.fieldErrors.isEmpty ? nil : problem.fieldErrors,
            extensions: problem.extensions
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = (try? encoder.encode(body)) ?? Data(#"{"title":"Internal server error","status":500}"#.utf8)
        var headers: HTTPFields = [.contentType: "application/problem+json"]
        if let retryAfter = problem.retryAfter { headers[.retryAfter] = String(retryAfter) }
        for (name, value) in problem.headers {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        return Response(
            status: HTTPResponse.Status(code: problem.status),
            headers: headers,
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data))
        )
    }
}
