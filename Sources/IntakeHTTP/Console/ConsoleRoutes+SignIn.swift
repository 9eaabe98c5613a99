import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// Signing in and out, sessions and their CSRF tokens.
extension ConsoleRoutes {
    func loginPage(_ request: Request, error: String? = nil, email: String = "", status: HTTPResponse.Status = .ok) -> Response {
        let csrf = Self.preSessionCSRF(request)
        var values: [String: Any] = ["csrf": csrf, "email": email]
        if let error { values["error"] = error }
        // After a password reset (the redirect's query says so, nothing more).
        if error == nil, CaseFilters.fields(request.uri.query)["reset"] == "done" { values["resetDone"] = true }
        return withPreSessionCSRF(
            page(title: "Sign in", content: ConsoleTemplates.render("login", values), error: error != nil, status: status),
            csrf,
            request
        )
    }

    func signIn(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        guard Self.preSessionCSRFMatches(form, request) else { return forbidden() }
        let email = (form["email"] ?? "").trimmingCharacters(in: .whitespaces)
        let password = form["password"] ?? ""
        let refused = "Enter the email address and password of your staff account. After 5 wrong attempts an account is locked for 15 minutes."
        guard !email.isEmpty, !password.isEmpty, email.unicodeScalars.count <= 254, password.utf8.count <= 1024 else {
            return loginPage(request, error: refused, email: email, status: .unauthorized)
        }
        switch try await staff.signIn(email: email, password: password) {
        case .signedIn(let token, _):
            var response = Response(status: .seeOther, headers: [.location: "/console/"])
            response.headers[values: .setCookie].append(
                cookie(Self.sessionCookie, token, maxAge: Int(SignInRules.sessionLifetime.components.seconds), sameSite: "Lax", request: request)
            )
            response.headers[values: .setCookie].append(cookie(Self.loginCSRFCookie, "", maxAge: 0, sameSite: "Strict"))
            return response
        case .refused, .locked:
            // The same answer for both, and for an unknown address: it tells nobody which
            // addresses have accounts.
            return loginPage(request, error: refused, email: email, status: .unauthorized)
        }
    }

    func signOut(_ request: Request) async throws -> Response {
        guard let (token, _) = try await session(request) else { return Response(status: .seeOther, headers: [.location: "/console/login"]) }
        let form = try await Self.form(request)
        guard Self.formTokenMatches(form, session: token) else {
            return forbidden()
        }
        try await staff.signOut(token: token)
        var response = Response(status: .seeOther, headers: [.location: "/console/login"])
        response.headers[values: .setCookie].append(cookie(Self.sessionCookie, "", maxAge: 0, sameSite: "Lax"))
        return response
    }

    /// The signed-in account and its session token, or nil.
    func session(_ request: Request) async throws -> (String, StaffAccount)? {
        guard let token = Self.cookie(request, Self.sessionCookie), token.count == 64,
            token.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }),
            let account = try await staff.session(token: token)
        else { return nil }
        return (token, account)
    }

    /// The form's CSRF token is the session's (compared in constant time).
    static func formTokenMatches(_ form: [String: String], session token: String) -> Bool {
        guard let sent = form["csrf"] else { return false }
        return Secrets.constantTimeEquals(Array(sent.utf8), Array(csrf(for: token).utf8))
    }

    static func csrf(for sessionToken: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data("console csrf".utf8), using: SymmetricKey(data: Data(sessionToken.utf8)))
        return mac.map { String(format: "%02x", $0) }.joined()
    }
}
