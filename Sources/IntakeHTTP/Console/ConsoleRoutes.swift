import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// The staff console under `/console/`: server-rendered pages, no JavaScript, nothing fetched
/// from elsewhere. Every action goes through the same services as the API.
///
/// Sessions: a random token in an `HttpOnly`, `SameSite=Lax` cookie (`Secure` over TLS), stored
/// only as its SHA-256. Forms carry a CSRF token: before sign-in, a double-submit token (the
/// same random value in a cookie and the form); after, an HMAC of the session token, so it needs
/// no storage and dies with the session.
struct ConsoleRoutes: Sendable {
    let staff: StaffService
    let reports: ReportService
    let audit: AuditTrail
    let dispatch: DispatchService
    let councils: CouncilService
    let payments: PaymentService
    let servedOverTLS: Bool

    static let sessionCookie = "ci_console"
    static let loginCSRFCookie = "ci_console_csrf"

    func register(on router: Router<IntakeRequestContext>, routes: RouteTable) {
        let handler = self
        router.get("/console/login") { request, _ in handler.loginPage(request) }
        router.post("/console/login") { request, _ in try await handler.signIn(request) }
        router.post("/console/logout") { request, _ in try await handler.signOut(request) }
        router.get("/console/password-reset") { request, _ in handler.resetRequestPage(request) }
        router.post("/console/password-reset") { request, context in try await handler.requestReset(request, logger: context.logger) }
        router.get("/console/password-reset/:token") { request, context in
            try await handler.resetPasswordPage(request, token: context.parameters.get("token") ?? "")
        }
        router.post("/console/password-reset/:token") { request, context in
            try await handler.resetPassword(request, token: context.parameters.get("token") ?? "", requestID: context.requestID)
        }
        router.get("/console/") { request, _ in try await handler.casesPage(request) }
        router.get("/console/cases.csv") { request, _ in try await handler.casesCSV(request) }
        router.get("/console/cases/:id") { request, context in
            try await handler.casePage(request, id: context.parameters.get("id") ?? "")
        }
        router.get("/console/queues") { request, _ in try await handler.queuesPage(request) }
        router.post("/console/queues/:name/dead/:message/redrive") { request, context in
            try await handler.redrive(
                request,
                queue: context.parameters.get("name") ?? "",
                message: context.parameters.get("message") ?? "",
                requestID: context.requestID
            )
        }
        router.get("/console/map") { request, _ in try await handler.mapPage(request) }
        router.get("/console/payments") { request, _ in try await handler.paymentsPage(request) }
        router.get("/console/payments/reconciliation.csv") { request, _ in try await handler.reconciliationCSV(request) }
        router.get("/console/payments/:id") { request, context in try await handler.paymentPage(request, id: context.parameters.get("id") ?? "") }
        router.post("/console/cases/:id/status") { request, context in
            try await handler.changeStatus(request, id: context.parameters.get("id") ?? "", requestID: context.requestID)
        }
        for (method, path) in [
            (HTTPRequest.Method.get, "/console/login"), (.post, "/console/login"), (.post, "/console/logout"), (.get, "/console/"),
            (.get, "/console/cases.csv"),
            (.get, "/console/cases/:id"), (.post, "/console/cases/:id/status"), (.get, "/console/queues"),
            (.post, "/console/queues/:name/dead/:message/redrive"), (.get, "/console/map"),
            (.get, "/console/payments"), (.get, "/console/payments/reconciliation.csv"), (.get, "/console/payments/:id"),
            (.get, "/console/password-reset"), (.post, "/console/password-reset"), (.get, "/console/password-reset/:token"),
            (.post, "/console/password-reset/:token"),
        ] {
            routes.add(method: method, path: path)
        }
    }

    /// An officer's change opens its audit entry before it is made (a failure to write it stops
    /// the change), beside the API's entries: the actor `staff:<email>`, the role `staff`.
    func beginAudit(
        _ account: StaffAccount,
        requestID: String,
        action: String,
        route: String,
        target: [String: String],
        changes: String
    ) async throws -> Int64 {
        try await audit.begin(
            AuditEvent(
                requestID: requestID,
                actor: .init(keyID: nil, keyPrefix: "staff:\(account.email)", role: "staff", councilSlug: account.council.slug),
                councilID: account.council.id,
                councilSlug: account.council.slug,
                action: action,
                method: "POST",
                route: route,
                target: target,
                changes: changes
            )
        )
    }

    func notFound(account: StaffAccount, token: String) -> Response {
        page(
            title: "Page not found",
            content: "<h1>Page not found</h1><p>Your council has no case here. <a href=\"/console/\">Back to cases</a></p>",
            error: true,
            status: .notFound,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }

    /// RFC 4180, and a value a spreadsheet would run as a formula starts with an apostrophe.
    static func csvField(_ value: String) -> String {
        var text = value
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { text = "'" + text }
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    // MARK: Pages

    func page(
        title: String,
        content: String,
        error: Bool,
        status: HTTPResponse.Status,
        account: StaffAccount? = nil,
        csrf: String? = nil
    ) -> Response {
        var values: [String: Any] = ["title": title, "content": content]
        if error { values["error"] = true }
        if let account, let csrf {
            values["signedIn"] = true
            values["council"] = account.council.name
            values["staffName"] = account.name
            values["staffRole"] = account.role.rawValue
            values["csrf"] = csrf
        }
        return Response(
            status: status,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!:
                    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; frame-ancestors 'none'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: ConsoleTemplates.render("layout", values)))
        )
    }

    func forbidden() -> Response {
        page(
            title: "Form expired",
            content: "<h1>This form has expired</h1><p><a href=\"/console/login\">Start again</a>.</p>",
            error: true,
            status: .forbidden
        )
    }

    func cookie(_ name: String, _ value: String, maxAge: Int, sameSite: String, request: Request? = nil) -> String {
        let overTLS = servedOverTLS || request?.headers[.xForwardedProto]?.lowercased() == "https"
        return "\(name)=\(value); Path=/console; Max-Age=\(maxAge); HttpOnly; SameSite=\(sameSite)" + (overTLS ? "; Secure" : "")
    }

    static func cookie(_ request: Request, _ name: String) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, parts[0] == name, !parts[1].isEmpty { return parts[1] }
            }
        }
        return nil
    }

    /// An `application/x-www-form-urlencoded` body (the console's forms are small).
    static func form(_ request: Request) async throws -> [String: String] {
        // Two notes of 4,000 characters, percent-encoded, fit.
        let body = try await request.body.collect(upTo: 128 * 1024)
        var fields: [String: String] = [:]
        for pair in String(buffer: body).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1).map {
                String($0).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? ""
            }
            if let name = parts.first, fields[name] == nil { fields[name] = parts.count > 1 ? parts[1] : "" }
        }
        return fields
    }
}
