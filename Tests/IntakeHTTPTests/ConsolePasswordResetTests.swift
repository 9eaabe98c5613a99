import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Console password resets by an emailed link, through the council's GOV.UK Notify service (the
/// local fake) and the worker's outbox: the email, the link's single use, its end when a newer
/// one is asked for, the sessions it ends, and answers that tell nobody who has an account.
@Suite struct ConsolePasswordResetTests {
    static let email = "officer@barchester.example"
    static let newPassword = "a new and longer passphrase"

    /// An officer of Barchester (caseworker) made through the API.
    static func officer(_ world: NotificationTests.World) async throws {
        let (status, json) = try await world.post(
            "/v1/councils/barchester/staff",
            world.staff,
            #"{"email": "\#(email)", "name": "Eleanor Bold", "role": "caseworker", "password": "\#(ConsoleTests.password)"}"#
        )
        #expect(status == .created, "\(json)")
    }

    /// A page's double-submit CSRF token (cookie and form field, which must agree).
    static func csrf(_ client: any TestClientProtocol, _ uri: String) async throws -> (HTTPResponse.Status, String, String) {
        try await client.execute(uri: uri, method: .get) { response in
            let cookie = ConsoleTests.value(ConsoleTests.cookies(response)["ci_console_csrf"]) ?? ""
            let page = response.text
            let field = page.range(of: #"name="csrf" value=""#).map { String(page[$0.upperBound...].prefix(64)) } ?? ""
            #expect(response.status != .ok || (cookie == field && field.count == 64))
            return (response.status, field, page)
        }
    }

    static func form(
        _ client: any TestClientProtocol,
        _ uri: String,
        csrf: String?,
        cookie: String?,
        _ fields: [String: String]
    ) async throws -> (HTTPResponse.Status, String?, String) {
        var pairs = fields.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }
        if let csrf { pairs.append("csrf=\(csrf)") }
        var headers: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
        if let cookie { headers[.cookie] = "ci_console_csrf=\(cookie)" }
        return try await client.execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: pairs.joined(separator: "&"))) {
            ($0.status, $0.headers[.location], $0.text)
        }
    }

    /// Asks for a reset link for an address; returns the page's answer.
    static func ask(_ client: any TestClientProtocol, _ email: String) async throws -> (HTTPResponse.Status, String) {
        let (_, csrf, _) = try await csrf(client, "/console/password-reset")
        let (status, _, page) = try await form(client, "/console/password-reset", csrf: csrf, cookie: csrf, ["email": email])
        return (status, page)
    }

    /// The paragraph that answers a request, with the address taken out.
    static func answer(_ page: String, _ email: String) -> String {
        guard let start = page.range(of: #"<p id="reset-sent">"#), let end = page[start.upperBound...].range(of: "</p>") else { return "" }
        return page[start.upperBound..<end.lowerBound].replacingOccurrences(of: email, with: "ADDRESS")
    }

    @Test func anOfficerResetsTheirPasswordByTheEmailedLink() async throws {
        let logs = LogCapture()
        try await NotificationTests.withWorld(logs: logs) { world in
            try await world.settings()
            try await Self.officer(world)
            let client = world.client
            // Signed in somewhere before (that session ends with the reset), then locked out.
            let (_, oldSession, _) = try await ConsoleTests.signIn(client)
            let session = try #require(oldSession)
            for _ in 0..<SignInRules.maxFailures { _ = try await ConsoleTests.signIn(client, password: "not the password at all") }
            let (locked, _, _) = try await ConsoleTests.signIn(client)
            #expect(locked == .unauthorized)

            // The login page links to the reset; the request needs its CSRF token.
            let (_, _, login) = try await Self.csrf(client, "/console/login")
            #expect(login.contains(#"href="/console/password-reset""#))
            let (_, csrf, _) = try await Self.csrf(client, "/console/password-reset")
            let (noToken, _, _) = try await Self.form(client, "/console/password-reset", csrf: nil, cookie: csrf, ["email": Self.email])
            #expect(noToken == .forbidden)
            let (status, page) = try await Self.ask(client, Self.email)
            #expect(status == .ok)
            // An address without an account gets the same answer, and nothing is sent to it.
            let (unknownStatus, unknown) = try await Self.ask(client, "nobody@barchester.example")
            #expect(unknownStatus == .ok)
            #expect(Self.answer(page, Self.email) == Self.answer(unknown, "nobody@barchester.example"))
            #expect(!Self.answer(page, Self.email).isEmpty)
            // Not an address at all: the field is named in the error summary.
            let (bad, badPage) = try await Self.ask(client, "not-an-address")
            #expect(bad == .badRequest)
            #expect(badPage.contains(##"<a href="#email">Enter your email address in the correct format"##))

            try await world.deliver()
            let sent = world.notify.notifications
            try #require(sent.count == 1)
            #expect(sent[0].kind == "email")
            #expect(sent[0].recipient == Self.email)
            #expect(sent[0].templateID == NotificationTests.templates[.staffPasswordReset])
            #expect(sent[0].text("name") == "Eleanor Bold")
            #expect(sent[0].text("council") == "Barchester City Council")
            #expect(sent[0].text("expires")?.contains(" on ") == true)
            #expect(sent[0].personalisation["reference"] == nil && sent[0].personalisation["unsubscribe_url"] == nil)
            let link = try #require(sent[0].text("reset_url"))
            let base = world.services.config.publicBaseURL + "/console/password-reset/"
            #expect(link.hasPrefix(base))
            let path = String(link.dropFirst(world.services.config.publicBaseURL.count))
            let token = String(link.dropFirst(base.count))

            let (formStatus, formCSRF, formPage) = try await Self.csrf(client, path)
            #expect(formStatus == .ok)
            #expect(formPage.contains(Self.email))
            // The two entries must agree, and the password must meet the rules; each is named.
            let (mismatch, _, mismatchPage) = try await Self.form(
                client,
                path,
                csrf: formCSRF,
                cookie: formCSRF,
                ["password": Self.newPassword, "confirm": Self.newPassword + "x"]
            )
            #expect(mismatch == .badRequest)
            #expect(mismatchPage.contains(##"<a href="#confirm">Enter the same password twice</a>"##))
            let (short, _, shortPage) = try await Self.form(
                client,
                path,
                csrf: formCSRF,
                cookie: formCSRF,
                ["password": "short", "confirm": "short"]
            )
            #expect(short == .badRequest)
            #expect(shortPage.contains(##"<a href="#password">Your password must be at least 12 characters"##))
            let (noCSRF, _, _) = try await Self.form(
                client,
                path,
                csrf: nil,
                cookie: formCSRF,
                ["password": Self.newPassword, "confirm": Self.newPassword]
            )
            #expect(noCSRF == .forbidden)

            let (done, location, _) = try await Self.form(
                client,
                path,
                csrf: formCSRF,
                cookie: formCSRF,
                ["password": Self.newPassword, "confirm": Self.newPassword]
            )
            #expect(done == .seeOther)
            #expect(location == "/console/login?reset=done")
            let (_, _, signInPage) = try await Self.csrf(client, "/console/login?reset=done")
            #expect(signInPage.contains("Your password has been changed"))

            // The old session has ended; the old password no longer works; the lock-out is lifted.
            #expect(
                try await client.execute(uri: "/console/", method: .get, headers: [.cookie: session]) { $0.headers[.location] } == "/console/login"
            )
            let (old, _, _) = try await ConsoleTests.signIn(client)
            #expect(old == .unauthorized)
            let (fresh, newSession, _) = try await ConsoleTests.signIn(client, password: Self.newPassword)
            #expect(fresh == .seeOther && newSession != nil)

            // The link works once.
            let (again, _, againPage) = try await Self.csrf(client, path)
            #expect(again == .notFound)
            #expect(againPage.contains("This link no longer works"))
            let (reuse, _, _) = try await Self.form(
                client,
                path,
                csrf: formCSRF,
                cookie: formCSRF,
                ["password": "yet another passphrase", "confirm": "yet another passphrase"]
            )
            #expect(reuse == .notFound)
            // A link made up, or a real token of ours made for something else, is refused like a used one.
            let (forged, _, _) = try await Self.csrf(client, "/console/password-reset/" + String(token.reversed()))
            #expect(forged == .notFound)
            let resetID = try #require(LinkToken.decode(token, with: TestSecrets.keyring)?.subject)
            let otherPurpose = try #require(LinkToken(.confirmAlert, resetID).encoded(with: TestSecrets.keyring))
            #expect(try await Self.csrf(client, "/console/password-reset/" + otherPurpose).0 == .notFound)
            // The request log shows the link's path without its token.
            let logged = logs.entries.compactMap { $0.metadata["path"] }.filter { $0.hasPrefix("/console/password-reset/") }
            #expect(!logged.isEmpty && logged.allSatisfy { $0 == "/console/password-reset/…" })
            #expect(!logs.entries.contains { "\($0.message) \($0.metadata)".contains(token) })

            // The change is audited as the officer's, and the password is nowhere in it.
            let admin = try await bearer(world.testDB, role: .admin)
            let audit = try await client.execute(uri: "/v1/audit?council=barchester", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("staff.password_reset") && audit.contains("staff:\(Self.email)"))
            #expect(!audit.contains(Self.newPassword))
        }
    }

    @Test func askingAgainEndsOlderLinksAndTheHourlyShareIsKept() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings()
            try await Self.officer(world)
            for _ in 0..<(SignInRules.maxResetsPerHour + 2) {
                let (status, _) = try await Self.ask(world.client, Self.email)
                #expect(status == .ok)
            }
            // Three resets at most in an hour, each with one email.
            #expect(try await world.count("SELECT count(*)::int FROM staff_password_resets") == SignInRules.maxResetsPerHour)
            #expect(
                try await world.count("SELECT count(*)::int FROM notifications WHERE message = 'staff_password_reset'")
                    == SignInRules.maxResetsPerHour
            )
            try await world.deliver()
            // Only the newest is worth sending: the older ones were overtaken before the worker ran.
            let sent = world.notify.notifications
            #expect(sent.count == 1)
            #expect(
                try await world.count("SELECT count(*)::int FROM notifications WHERE state = 'skipped' AND state_reason LIKE '%asked for again%'")
                    == SignInRules.maxResetsPerHour - 1
            )
            let link = try #require(sent.last?.text("reset_url"))
            let path = String(link.dropFirst(world.services.config.publicBaseURL.count))
            let (status, _, _) = try await Self.csrf(world.client, path)
            #expect(status == .ok)

            // Sent, then overtaken by a newer one: the older link stops working.
            try await world.sql("DELETE FROM staff_password_resets")
            let (asked, _) = try await Self.ask(world.client, Self.email)
            #expect(asked == .ok)
            try await world.deliver()
            let first = try #require(world.notify.notifications.last?.text("reset_url"))
            _ = try await Self.ask(world.client, Self.email)
            try await world.deliver()
            let second = try #require(world.notify.notifications.last?.text("reset_url"))
            #expect(first != second)
            let base = world.services.config.publicBaseURL
            #expect(try await Self.csrf(world.client, String(first.dropFirst(base.count))).0 == .notFound)
            #expect(try await Self.csrf(world.client, String(second.dropFirst(base.count))).0 == .ok)

            // An expired link is refused.
            try await world.sql("UPDATE staff_password_resets SET expires_at = now() - interval '1 second'")
            #expect(try await Self.csrf(world.client, String(second.dropFirst(base.count))).0 == .notFound)
        }
    }

    @Test func parallelRequestsCannotGetPastTheHourlyShare() async throws {
        try await NotificationTests.withWorld { world in
            try await world.settings()
            try await Self.officer(world)
            let (_, csrf, _) = try await Self.csrf(world.client, "/console/password-reset")
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        try await Self.form(world.client, "/console/password-reset", csrf: csrf, cookie: csrf, ["email": Self.email]).0
                    }
                }
                for try await status in group { #expect(status == .ok) }
            }
            #expect(try await world.count("SELECT count(*)::int FROM staff_password_resets") == SignInRules.maxResetsPerHour)
            // An address PostgreSQL could not hold is a format error, not a failure.
            let (nul, page) = try await Self.ask(world.client, "officer\u{0}@barchester.example")
            #expect(nul == .badRequest)
            #expect(page.contains(##"<a href="#email">Enter your email address in the correct format"##))
        }
    }

    @Test func aCouncilWithoutTheResetTemplateSendsNothingAndSaysNothingDifferent() async throws {
        try await NotificationTests.withWorld { world in
            var templates = NotificationTests.templates
            templates[.staffPasswordReset] = nil
            try await world.settings(templates: templates)
            try await Self.officer(world)
            let (status, page) = try await Self.ask(world.client, Self.email)
            #expect(status == .ok)
            let (_, unknown) = try await Self.ask(world.client, "nobody@barchester.example")
            #expect(Self.answer(page, Self.email) == Self.answer(unknown, "nobody@barchester.example"))
            #expect(try await world.count("SELECT count(*)::int FROM staff_password_resets") == 0)
            try await world.deliver()
            #expect(world.notify.notifications.isEmpty)
        }
    }
}
