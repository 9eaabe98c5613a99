import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import Logging

/// The Open311 GeoReport v2 facade under `/open311/v2/`, in XML and JSON by suffix, for
/// FixMyStreet and other Open311 clients. It is a second door onto the same intake: reports
/// made here go through `ReportStore.create` like any other (routing, rules, timeline, dispatch
/// job). Errors use Open311's own format (`errors/error{code, description}`), never problems.
public struct Open311Facade: Sendable {
    static let prefix = "/open311/v2"
    /// The date this facade's behaviour last changed (discovery's `changeset`).
    static let changeset = Date(timeIntervalSince1970: 1_795_824_000)  // 2026-11-28
    static let logger = Logger(label: "intake.open311")

    let baseURL: String
    let maxMediaBytes: Int
    let keys: KeyAuthentication
    let councils: CouncilService
    let catalogue: CatalogueService
    let intake: IntakeService
    let reports: ReportService
    let media: MediaService
    let idempotent: IdempotentRequests
    let store: Open311Service
    /// The per-key write quota, shared with the REST API (nil: none).
    let writes: RateLimiter?

    public init(services: AppServices, writes: RateLimiter? = nil) {
        self.writes = writes
        self.baseURL = services.config.publicBaseURL
        self.maxMediaBytes = services.config.maxMediaBytes
        self.keys = services.authentication
        self.councils = services.councils
        self.catalogue = services.catalogue
        self.intake = services.intake
        self.reports = services.reports
        self.media = services.media
        self.idempotent = services.idempotent
        self.store = services.open311
    }

    /// Every route the facade serves, for the service's table of routes (so that another method
    /// on one of these paths is a 405 with `Allow`, not a 404).
    public static let routes: [(HTTPRequest.Method, String)] =
        ["discovery", "services", "requests", "servicerequestupdates"].flatMap { name in
            ["xml", "json"].map { (HTTPRequest.Method.get, "\(prefix)/\(name).\($0)") }
        }
        + ["requests", "servicerequestupdates"].flatMap { name in ["xml", "json"].map { (HTTPRequest.Method.post, "\(prefix)/\(name).\($0)") } }
        + ["services", "requests", "tokens"].map { (HTTPRequest.Method.get, "\(prefix)/\($0)/{id}.xml") }
        + ["services", "requests", "tokens"].map { (HTTPRequest.Method.get, "\(prefix)/\($0)/{id}.json") }

    public func register<Context: RequestContext>(on router: Router<Context>) {
        let facade = self
        router.get(RouterPath("\(Self.prefix)/:file")) { request, context in
            await facade.handle(request, context, file: context.parameters.get("file")) { name, format, query in
                switch name {
                case "discovery": return facade.discovery(format)
                case "services": return try await facade.services(format, query)
                case "requests": return try await facade.requests(format, query)
                case "servicerequestupdates": return try await facade.updates(format, query)
                default: throw Open311Failure.notFound("There is no \(name) resource.")
                }
            }
        }
        router.post(RouterPath("\(Self.prefix)/:file")) { request, context in
            // A read-only resource is answered before its (possibly large) body is read.
            if let file = context.parameters.get("file"), let (name, format) = Open311Format.split(file), ["discovery", "services"].contains(name) {
                return facade.errorResponse(.readOnly(name), format: format)
            }
            // Room for a form with as many photos as a report may have, each at the media limit.
            let limit = facade.maxMediaBytes * ReportRules.maxPhotos + 64 * 1024
            let declared = request.headers[.contentLength].flatMap { Int($0) }
            let body = declared.map { $0 > limit } == true ? nil : try? await request.body.collect(upTo: limit)
            return await facade.handle(request, context, file: context.parameters.get("file")) { name, format, query in
                guard let body else {
                    throw Open311Failure(status: 413, descriptions: ["The request body is larger than the \(limit) bytes allowed here."])
                }
                let form: Open311Form
                do {
                    form = try Open311Form.parse(contentType: request.headers[.contentType], body: Array(body.readableBytesView))
                } catch Open311Form.ParseError.unsupported(let detail), Open311Form.ParseError.malformed(let detail) {
                    throw Open311Failure.badRequest("Cannot read the request body: \(detail).")
                }
                let merged = Open311Form(fields: query.fields + form.fields, files: form.files)
                switch name {
                case "requests":
                    return try await facade.createRequest(format, merged, idempotencyKey: request.headers[HTTPField.Name("Idempotency-Key")!])
                case "servicerequestupdates": return try await facade.createUpdate(format, merged)
                default: throw Open311Failure.notFound("There is no \(name) resource to POST to.")
                }
            }
        }
        router.get(RouterPath("\(Self.prefix)/services/:file")) { request, context in
            await facade.handle(request, context, file: context.parameters.get("file")) { code, _, query in
                try await facade.serviceDefinition(code, query)
            }
        }
        router.get(RouterPath("\(Self.prefix)/requests/:file")) { request, context in
            await facade.handle(request, context, file: context.parameters.get("file")) { id, _, query in
                try await facade.oneRequest(id, query)
            }
        }
        router.get(RouterPath("\(Self.prefix)/tokens/:file")) { request, context in
            await facade.handle(request, context, file: context.parameters.get("file")) { token, _, _ in
                try await facade.token(token)
            }
        }
    }

    /// Parses the suffix and query, runs `body`, and turns every failure into an Open311 error
    /// in the requested format.
    func handle<Context: RequestContext>(
        _ request: Request,
        _ context: Context,
        file: String?,
        _ body: (String, Open311Format, Open311Form) async throws -> Open311Reply
    ) async -> Response {
        guard let file, let (name, format) = Open311Format.split(file) else {
            return errorResponse(.notFound("Open311 resources end in .xml or .json."), format: .xml)
        }
        let query = Open311Form(fields: Open311Form.urlencoded(request.uri.query ?? ""))
        do {
            let reply = try await body(name, format, query)
            return render(reply, format: format)
        } catch let failure as Open311Failure {
            return errorResponse(failure, format: format)
        } catch let error as APIError {
            return errorResponse(Open311Failure(error), format: format)
        } catch let failure as ValidationFailure {
            return errorResponse(Open311Failure(APIError(failure)), format: format)
        } catch let error as IntakeError {
            return errorResponse(Open311Failure(error), format: format)
        } catch let error as IdempotencyStore.Conflict {
            return errorResponse(Open311Failure(error), format: format)
        } catch let error as MediaStore.NotAttachable {
            return errorResponse(Open311Failure(IntakeError.invalid(error.fieldErrors(pointer: "/photos"))), format: format)
        } catch let error where error is DatabaseUnavailable || DatabaseErrors.isUnavailable(error) {
            var response = errorResponse(
                .init(status: 503, descriptions: ["The service is briefly unavailable; try again shortly."]),
                format: format
            )
            response.headers[.retryAfter] = String(APIError.databaseUnavailable().retryAfter ?? 5)
            return response
        } catch let error where DatabaseErrors.sqlState(error) == "22021" {
            // PostgreSQL text cannot hold NUL; no Open311 field has a use for it.
            return errorResponse(.badRequest("The request holds a character that cannot be stored (NUL)."), format: format)
        } catch {
            context.logger.error("open311 request failed", metadata: ["error": .string(DatabaseErrors.summary(error))])
            return errorResponse(.init(status: 500, descriptions: ["Something went wrong on our side."]), format: format)
        }
    }

    func render(_ reply: Open311Reply, format: Open311Format) -> Response {
        Response(
            status: .init(code: reply.status),
            headers: [.contentType: format.contentType],
            body: .init(byteBuffer: ByteBuffer(string: Open311Writer.render(reply.node, root: reply.root, format: format)))
        )
    }

    /// An Open311 error for a request refused before the facade saw it (the format from the
    /// path's suffix, XML when it has none), with extra headers such as `Retry-After`.
    public static func errorResponse(
        status: Int,
        description: String,
        path: String,
        headers: [String: String],
        retryAfter: Int?
    ) -> Response {
        let file = path.split(separator: "/").last.map(String.init) ?? ""
        let format = Open311Format.split(file)?.1 ?? .xml
        var response = Self.renderError(Open311Failure(status: status, descriptions: [description]), format: format)
        for (name, value) in headers {
            if let field = HTTPField.Name(name) { response.headers[field] = value }
        }
        if let retryAfter { response.headers[.retryAfter] = String(retryAfter) }
        return response
    }

    func errorResponse(_ failure: Open311Failure, format: Open311Format) -> Response {
        var response = Self.renderError(failure, format: format)
        if let allow = failure.allow { response.headers[.allow] = allow }
        if let limited = failure.rateLimit {
            response.headers[.retryAfter] = String(limited.decision.retryAfterSeconds)
            response.headers[HTTPField.Name("RateLimit-Policy")!] = limited.policy.header
            response.headers[HTTPField.Name("RateLimit")!] = limited.decision.header(limited.policy)
        }
        return response
    }

    static func renderError(_ failure: Open311Failure, format: Open311Format) -> Response {
        let node = Open311Node.list(
            item: "error",
            failure.descriptions.map { .record([("code", .number(Double(failure.status))), ("description", .text($0))]) }
        )
        return Response(
            status: .init(code: failure.status),
            headers: [.contentType: format.contentType],
            body: .init(byteBuffer: ByteBuffer(string: Open311Writer.render(node, root: "errors", format: format)))
        )
    }

    /// The caller's client key from `api_key`; 403 when missing or not a client key, 429 when
    /// it is over its write quota (counted with its REST writes).
    func requireClient(_ form: Open311Form, countsAsWrite: Bool = true) async throws -> Principal {
        guard let presented = form.value("api_key") else { throw Open311Failure.forbidden("api_key is required.") }
        guard let token = APIKeyToken(parsing: presented), let principal = try await keys.authenticate(token),
            principal.role == .client
        else { throw Open311Failure.forbidden("The api_key is not a valid client key.") }
        if countsAsWrite, let writes {
            let decision = writes.take("key:\(principal.keyID)")
            if !decision.allowed {
                var failure = Open311Failure(
                    status: 429,
                    descriptions: [
                        "More than \(writes.policy.quota) writes a minute with this api_key; try again in \(decision.retryAfterSeconds) s."
                    ]
                )
                failure.rateLimit = Open311RateLimited(policy: writes.policy, decision: decision)
                throw failure
            }
        }
        return principal
    }

    /// The council named by `jurisdiction_id`, if any (404 when there is no such council).
    func jurisdiction(_ form: Open311Form) async throws -> Council? {
        guard let slug = form.value("jurisdiction_id") else { return nil }
        guard let council = try await councils.find(slug: slug) else {
            throw Open311Failure.notFound("No jurisdiction has the id '\(slug)'.")
        }
        return council
    }
}

struct Open311RateLimited: Sendable {
    var policy: RateLimitPolicy
    var decision: RateLimitDecision
}

/// A body and status for the writer.
struct Open311Reply: Sendable {
    var root: String
    var status: Int = 200
    var node: Open311Node
}

/// An Open311 error: 400 anything wrong with the request, 403 the api_key, 404 unknown.
struct Open311Failure: Error, Sendable {
    var status: Int
    var descriptions: [String]
    /// Set on a 429: the quota and decision, for `Retry-After` and the rate-limit headers.
    var rateLimit: Open311RateLimited?
    /// Set on a 405: the methods the resource takes.
    var allow: String?

    static func badRequest(_ description: String) -> Open311Failure { .init(status: 400, descriptions: [description]) }
    static func forbidden(_ description: String) -> Open311Failure { .init(status: 403, descriptions: [description]) }
    static func notFound(_ description: String) -> Open311Failure { .init(status: 404, descriptions: [description]) }
    static func readOnly(_ name: String) -> Open311Failure {
        var failure = Open311Failure(status: 405, descriptions: ["\(name) is read with GET."])
        failure.allow = "GET"
        return failure
    }

    init(status: Int, descriptions: [String]) {
        self.status = status
        self.descriptions = descriptions
    }

    /// The intake's own errors, in Open311 terms: field errors name the Open311 field.
    init(_ error: APIError) {
        switch error.status {
        case 401, 403: status = 403
        case 404: status = 404
        case 500...: status = error.status
        default: status = 400
        }
        if error.fieldErrors.isEmpty {
            descriptions = [error.detail ?? error.title]
        } else {
            descriptions = error.fieldErrors.map { "\(Self.field(for: $0.pointer)): \($0.detail)" }
        }
        if let available = error.extensions["available"] {
            descriptions = descriptions.map { "\($0) (available here: \(available.joined(separator: ", ")))" }
        }
    }

    /// Intake's refusals in Open311 terms.
    init(_ error: IntakeError) {
        switch error {
        case .invalid(let problems): self.init(APIError.validation(problems))
        case .outsideServiceArea(let point): self.init(APIError.outsideServiceArea(point))
        case .categoryNotAvailableHere(let code, let available): self.init(APIError.categoryNotAvailableHere(code, available: available))
        case .wrongJurisdiction(let service, let routedTo, let asked):
            self.init(status: 400, descriptions: ["This location's \(service) requests go to \(routedTo), not \(asked)."])
        }
    }

    init(_ conflict: IdempotencyStore.Conflict) {
        switch conflict {
        case .keyReused:
            self.init(status: 400, descriptions: ["This Idempotency-Key was used with a different request. Use a new key for a new request."])
        case .inProgress:
            self.init(
                status: 400,
                descriptions: ["The first request with this Idempotency-Key is still being processed. Retry shortly."]
            )
        }
    }

    static func field(for pointer: String) -> String {
        switch pointer {
        case "/reporter/email": "email"
        case "/reporter/phone": "phone"
        case "/reporter/name": "first_name"
        case "/reporter": "email"
        case "/location", "/location/lat": "lat"
        case "/location/lon": "long"
        case "/category": "service_code"
        case "/address": "address_string"
        case _ where pointer == "/photos" || pointer.hasPrefix("/photos/"): "media"
        case _ where pointer.hasPrefix("/attributes/"): "attribute[\(pointer.dropFirst("/attributes/".count))]"
        default: String(pointer.dropFirst())
        }
    }
}
