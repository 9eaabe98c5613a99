import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage
import Logging

/// Password reset by an emailed link, sent through the council's GOV.UK Notify service. Asking
/// answers the same whether or not the address has an account (or its council sends email);
/// the link works once, for an hour, and only while it is the newest asked for. Setting a new
/// password ends the account's sessions and lifts a lock-out. The forms carry the same
/// double-submit CSRF token as sign-in.
extension ConsoleRoutes {
    static let resetRoute = "/console/password-reset"
    /// Far longer than either path takes; the rate limit bounds how many anyone can wait for.
    static let resetAnswerTime: Duration = .milliseconds(300)

    func resetRequestPage(_ request: Request, error: String? = nil, email: String = "", status: HTTPResponse.Status = .ok) -> Response {
        let csrf = Self.preSessionCSRF(request)
        var values: [String: Any] = ["csrf": csrf, "email": email]
        if let error { values["error"] = error }
        return withPreSessionCSRF(
            page(title: "Reset your password", content: ConsoleTemplates.render("resetRequest", values), error: error != nil, status: status),
            csrf,
            request
        )
    }

    func requestReset(_ request: Request, logger: Logger) async throws -> Response {
        let form = try await Self.form(request)
        guard Self.preSessionCSRFMatches(form, request) else { return forbidden() }
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        guard StaffService.isAddress(email) else {
            let shown = String(String.UnicodeScalarView(email.unicodeScalars.filter { $0.properties.generalCategory != .control }).prefix(254))
            return resetRequestPage(
                request,
                error: "Enter your email address in the correct format, like name@council.gov.uk",
                email: shown,
                status: .badRequest
            )
        }
        // Every answer takes at least this long, so that how long it takes does not tell whether
        // the address has an account (an account's request writes and waits for a commit).
        let answerAt = ContinuousClock.now + Self.resetAnswerTime
        let outcome = try await staff.requestReset(email: email)
        try? await Task.sleep(until: answerAt)
        // For the operator: what happened, never to whom.
        let what: String
        switch outcome {
        case .queued: what = "queued"
        case .noAccount: what = "no_account"
        case .notifyUnavailable: what = "council_sends_no_reset_email"
        case .tooMany: what = "too_many_this_hour"
        }
        logger.info("console password reset asked", metadata: ["outcome": "\(what)"])
        return page(
            title: "Check your email",
            content: ConsoleTemplates.render("resetSent", ["email": email, "minutes": Int(SignInRules.resetLifetime.components.seconds / 60)]),
            error: false,
            status: .ok
        )
    }

    func resetPasswordPage(
        _ request: Request,
        token: String,
        errors: [CaseFilters.Problem] = [],
        status: HTTPResponse.Status = .ok
    ) async throws -> Response {
        guard let account = try await staff.resetAccount(token: token) else { return resetLinkUnusable() }
        let csrf = Self.preSessionCSRF(request)
        var values: [String: Any] = ["csrf": csrf, "token": token, "email": account.email]
        if !errors.isEmpty {
            values["hasErrors"] = true
            values["errors"] = errors.map { error -> [String: Any] in
                ["field": error.field, "message": error.message, "isPassword": error.field == "password", "isConfirm": error.field == "confirm"]
            }
            values["passwordError"] = errors.contains { $0.field == "password" }
            values["confirmError"] = errors.contains { $0.field == "confirm" }
        }
        return withPreSessionCSRF(
            page(title: "Choose a new password", content: ConsoleTemplates.render("resetForm", values), error: !errors.isEmpty, status: status),
            csrf,
            request
        )
    }

    func resetPassword(_ request: Request, token: String, requestID: String) async throws -> Response {
        // Who may call (a working link) before the body is read.
        guard let account = try await staff.resetAccount(token: token) else { return resetLinkUnusable() }
        let form = try await Self.form(request)
        guard Self.preSessionCSRFMatches(form, request) else { return forbidden() }
        let password = form["password"] ?? ""
        guard password == (form["confirm"] ?? "") else {
            return try await resetPasswordPage(
                request,
                token: token,
                errors: [.init(field: "confirm", message: "Enter the same password twice")],
                status: .badRequest
            )
        }
        let problems = PasswordRules.problems(password, email: account.email, name: account.name)
        guard problems.isEmpty else {
            return try await resetPasswordPage(request, token: token, errors: [Self.passwordProblem(problems[0])], status: .badRequest)
        }
        let entry = try await beginAudit(
            account,
            requestID: requestID,
            action: "staff.password_reset",
            route: "/console/password-reset/{token}",
            target: ["staff_id": account.id.uuidString.lowercased()],
            changes: #"{"password": "[redacted]"}"#
        )
        do {
            _ = try await staff.resetPassword(token: token, password: password)
        } catch StaffService.ResetRefusal.linkUnusable {
            // Used by a parallel request between the check and the change.
            try await audit.complete(id: entry, status: 404, notes: [:])
            return resetLinkUnusable()
        } catch {
            try? await audit.complete(id: entry, status: 500, notes: [:])
            throw error
        }
        try await audit.complete(id: entry, status: 303, notes: [:])
        var response = Response(status: .seeOther, headers: [.location: "/console/login?reset=done"])
        // The account's sessions have ended, this browser's among them.
        response.headers[values: .setCookie].append(cookie(Self.sessionCookie, "", maxAge: 0, sameSite: "Lax"))
        return response
    }

    static func passwordProblem(_ error: FieldError) -> CaseFilters.Problem {
        switch error.code {
        case "invalid_character": .init(field: "password", message: "Your password must not contain the NUL character")
        case _ where error.detail.hasPrefix("must not be"):
            .init(field: "password", message: "Your password must not be blank, your email address or your name")
        default: .init(field: "password", message: "Your password must be at least 12 characters (and at most 72 bytes)")
        }
    }

    func resetLinkUnusable() -> Response {
        page(
            title: "Link no longer works",
            content: ConsoleTemplates.render("resetUnusable", ["minutes": Int(SignInRules.resetLifetime.components.seconds / 60)]),
            error: true,
            status: .notFound
        )
    }

    // MARK: The CSRF token of forms before sign-in

    /// The browser's double-submit token (a random value in a cookie that the form repeats),
    /// or a new one.
    static func preSessionCSRF(_ request: Request) -> String {
        cookie(request, loginCSRFCookie).flatMap { $0.count == 64 ? $0 : nil } ?? Secrets.randomHex(bytes: 32)
    }

    func withPreSessionCSRF(_ response: Response, _ csrf: String, _ request: Request) -> Response {
        var response = response
        response.headers[values: .setCookie].append(cookie(Self.loginCSRFCookie, csrf, maxAge: 3600, sameSite: "Strict", request: request))
        return response
    }

    /// The form repeats the cookie's token (compared in constant time).
    static func preSessionCSRFMatches(_ form: [String: String], _ request: Request) -> Bool {
        guard let sent = form["csrf"], let expected = cookie(request, loginCSRFCookie) else { return false }
        return Secrets.constantTimeEquals(Array(sent.utf8), Array(expected.utf8))
    }
}
