import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// The staff console: accounts made through the API, sign-in with a session cookie, CSRF tokens
/// on every form, lock-out, and the case list (only the officer's council, filters, counts, CSV,
/// hostile text escaped).
@Suite struct ConsoleTests {
    static let password = "correct horse battery staple"

    /// bcrypt at its lowest cost: the tests sign in many times.
    static func withConsole(
        live: Bool = false,
        _ test: @escaping @Sendable (any TestClientProtocol, TestDatabase) async throws -> Void
    ) async throws {
        try await withApp(live: live, configure: { $0.staffBcryptCost = 4 }) { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            let (status, json) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/staff",
                staff,
                #"{"email": "officer@barchester.example", "name": "Eleanor Bold", "role": "caseworker", "password": "\#(Self.password)"}"#
            )
            #expect(status == .created, "\(json)")
            try await test(client, testDB)
        }
    }

    /// The cookies a response sets, by name, with their attributes.
    static func cookies(_ response: TestResponse) -> [String: String] {
        var found: [String: String] = [:]
        for value in response.headers[values: .setCookie] {
            if let name = value.split(separator: "=").first { found[String(name)] = value }
        }
        return found
    }

    static func value(_ setCookie: String?) -> String? {
        setCookie?.split(separator: ";").first?.split(separator: "=", maxSplits: 1).dropFirst().first.map(String.init)
    }

    /// Signs in through the login form; returns the session cookie header value.
    static func signIn(
        _ client: any TestClientProtocol,
        email: String = "officer@barchester.example",
        password: String = Self.password
    )
        async throws -> (HTTPResponse.Status, String?, String)
    {
        let (csrfCookie, csrf) = try await client.execute(uri: "/console/login", method: .get) { response in
            let cookie = Self.value(Self.cookies(response)["ci_console_csrf"]) ?? ""
            let page = response.text
            let field = page.range(of: #"name="csrf" value=""#).map { String(page[$0.upperBound...].prefix(64)) } ?? ""
            return (cookie, field)
        }
        #expect(csrfCookie == csrf && csrf.count == 64)
        let body =
            "csrf=\(csrf)&email=\(email.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")&password=\(password.replacingOccurrences(of: " ", with: "+"))"
        return try await client.execute(
            uri: "/console/login",
            method: .post,
            headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "ci_console_csrf=\(csrf)"],
            body: ByteBuffer(string: body)
        ) { response in
            (response.status, Self.value(Self.cookies(response)["ci_console"]).map { "ci_console=\($0)" }, response.text)
        }
    }

    /// The error summary's message, as a sign-in page shows it.
    static func errorSummary(_ page: String) -> String? {
        guard let start = page.range(of: ##"<a href="#email">"##), let end = page[start.upperBound...].range(of: "</a>") else { return nil }
        return String(page[start.upperBound..<end.lowerBound])
    }

    @Test func staffAccountsAreMadeByTheCouncilAndPasswordsNeverKept() async throws {
        try await Self.withConsole { client, testDB in
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            let (weak, problem) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/staff",
                staff,
                #"{"email": "short@barchester.example", "name": "Short", "role": "manager", "password": "tooshort"}"#
            )
            #expect(weak == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["code"] as? String == "weak_password")
            let (taken, conflict) = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/staff",
                staff,
                #"{"email": "OFFICER@barchester.example", "name": "Again", "role": "manager", "password": "another long passphrase"}"#
            )
            #expect(taken == .conflict)
            #expect(conflict["code"] as? String == "staff_exists")
            let hashes = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(database, "SELECT string_agg(password_hash, ',') FROM staff_accounts", as: String?.self) ?? nil
            }
            #expect(hashes?.hasPrefix("$2") == true)
            #expect(hashes?.contains(Self.password) == false)
            let admin = try await bearer(testDB, role: .admin)
            let audit = try await client.execute(uri: "/v1/audit?council=barchester", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("staff.create") && !audit.contains(Self.password))
        }
    }

    @Test func anOfficerSignsInAndSeesOnlyTheirCouncilsCasesEscaped() async throws {
        try await Self.withConsole { client, testDB in
            let hostile = #"<script>alert("x")</script> & sofa"#
            let (ours, theirs): (UUID, UUID) = try await testDB.withDatabase(poolSize: 2) { database in
                let ours = try await DispatchFixtures.report(database, description: hostile)
                let theirs = try await DispatchFixtures.plumsteadReport(database)
                return (ours, theirs)
            }
            #expect(try await client.execute(uri: "/console/", method: .get) { $0.headers[.location] } == "/console/login")

            let (status, session, _) = try await Self.signIn(client)
            #expect(status == .seeOther)
            let cookie = try #require(session)
            let page = try await client.execute(uri: "/console/", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("text/html") == true)
                #expect(response.headers[.cacheControl] == "no-store")
                return response.text
            }
            let references: (String, String) = try await testDB.withDatabase(poolSize: 1) { database in
                let first = try await DispatchFixtures.scalar(database, "SELECT reference FROM reports WHERE id = '\(ours)'", as: String.self) ?? ""
                let second =
                    try await DispatchFixtures.scalar(database, "SELECT reference FROM reports WHERE id = '\(theirs)'", as: String.self) ?? ""
                return (first, second)
            }
            #expect(page.contains(references.0))
            #expect(!page.contains("Tyres by the lane"))
            #expect(!page.contains("<script>alert"))
            #expect(page.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; sofa"))
            #expect(page.contains("Barchester City Council") && page.contains("Eleanor Bold"))
            #expect(page.contains("<caption>1 case at Barchester City Council</caption>"))

            // Filters: text, status, a bad date named in the error summary.
            let found = try await client.execute(uri: "/console/?q=SOFA", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(found.contains(references.0))
            // As the form sends several words: '+' for each space.
            let words = try await client.execute(uri: "/console/?q=%26+sofa", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(words.contains(references.0))
            let none = try await client.execute(uri: "/console/?status=closed", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(none.contains(#"id="no-cases""#))
            let (bad, summary) = try await client.execute(uri: "/console/?from=2026-13-40", method: .get, headers: [.cookie: cookie]) {
                ($0.status, $0.text)
            }
            #expect(bad == .badRequest)
            #expect(summary.contains(##"<a href="#from">Enter the from date as YYYY-MM-DD</a>"##))

            // The filtered list as CSV, formulas defused.
            let csv = try await client.execute(uri: "/console/cases.csv?q=sofa", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                return response.text
            }
            let lines = csv.split(separator: "\r\n")
            #expect(lines.first == "reference,category,status,reported_at,address,description")
            #expect(lines.count == 2)
            #expect(lines.last?.contains(#""<script>alert(""x"")</script> & sofa""#) == true)
            #expect(ConsoleRoutesCSV.field("=HYPERLINK(\"x\")") == #""'=HYPERLINK(""x"")""#)
        }
    }

    @Test func theTextFilterFindsReferencesAndDescriptionsAndTheCountsFollowEveryFilter() async throws {
        try await Self.withConsole { client, testDB in
            let (references, otherCategory): ([String], String) = try await testDB.withDatabase(poolSize: 1) { database in
                var ids: [UUID] = []
                for description in ["Mattress by the GATE", "Bags of rubbish", "Graffiti on the gate post", #"Pothole 100% deep_ish, C:\temp"#] {
                    ids.append(try await DispatchFixtures.report(database, description: description))
                }
                // Two of them in progress; the last in another category.
                _ = try await DispatchFixtures.scalar(
                    database,
                    "UPDATE reports SET status = 'in_progress' WHERE id IN ('\(ids[0])', '\(ids[2])') RETURNING 1",
                    as: Int.self
                )
                let code = try await DispatchFixtures.scalar(
                    database,
                    """
                    WITH other AS (SELECT c.id, c.code FROM categories c JOIN reports r ON r.council_id = c.council_id
                                   WHERE r.id = '\(ids[3])' AND c.code <> 'fly_tipping' ORDER BY c.code LIMIT 1)
                    UPDATE reports SET category_id = other.id FROM other WHERE reports.id = '\(ids[3])' RETURNING other.code
                    """,
                    as: String.self
                )
                var references: [String] = []
                for id in ids {
                    references.append(
                        try await DispatchFixtures.scalar(database, "SELECT reference FROM reports WHERE id = '\(id)'", as: String.self) ?? ""
                    )
                }
                return (references, code ?? "")
            }
            let (_, session, _) = try await Self.signIn(client)
            let cookie = try #require(session)
            func list(_ query: String) async throws -> (references: [String], counts: [String: Int], caption: String) {
                let page = try await client.execute(uri: "/console/?\(query)", method: .get, headers: [.cookie: cookie]) { $0.text }
                // In the page's order (newest first).
                let shown = references.compactMap { reference in page.range(of: ">\(reference)</a>").map { (reference, $0.lowerBound) } }
                    .sorted { $0.1 < $1.1 }.map(\.0)
                var counts: [String: Int] = [:]
                if let table = page.range(of: #"<table id="counts">"#), let end = page[table.upperBound...].range(of: "</table>") {
                    let rows = page[table.upperBound..<end.lowerBound].components(separatedBy: "<tr><td>").dropFirst()
                    for row in rows {
                        let cells = row.components(separatedBy: "</td><td>")
                        if cells.count == 2, let count = Int(cells[1].prefix { $0.isNumber }) { counts[cells[0]] = count }
                    }
                }
                let caption =
                    page.range(of: #"<table id="cases">"#).flatMap { start in
                        page[start.upperBound...].range(of: "<caption>").flatMap { open in
                            page[open.upperBound...].range(of: "</caption>").map { String(page[open.upperBound..<$0.lowerBound]) }
                        }
                    } ?? ""
                return (shown, counts, caption)
            }
            // Any case, anywhere in the description; the reference, whole or in part.
            #expect(try await list("q=gate").references == [references[2], references[0]])
            #expect(try await list("q=gate").counts == ["in progress": 2])
            #expect(try await list("q=\(references[1].lowercased())").references == [references[1]])
            let digits = String(references[1].suffix(4))
            #expect(try await list("q=\(digits)").references.contains(references[1]))
            // %, _ and \ are the reporter's text, not wildcards.
            #expect(try await list("q=100%25+deep_").references == [references[3]])
            #expect(try await list("q=1_0").references.isEmpty)
            #expect(try await list("q=C%3A%5Ctemp").references == [references[3]])
            #expect(try await list("q=C%3A%5C%5Ctemp").references.isEmpty)
            // A filter never holds a line break (so nothing can match across the two fields).
            let newline = try await client.execute(uri: "/console/?q=\(digits)%0ABags", method: .get, headers: [.cookie: cookie]) { $0.status }
            #expect(newline == .badRequest)
            // A match never straddles the reference and the description.
            #expect(try await list("q=\(digits)+Bags").references.isEmpty)
            #expect(try await list("q=nothing+like+it").counts.isEmpty)
            // Counts follow the category, dates and text, whatever the status filter shows.
            let other = try await list("category=\(otherCategory)")
            #expect(other.references == [references[3]] && other.counts == ["open": 1])
            let fly = try await list("category=fly_tipping&status=in_progress")
            #expect(fly.references == [references[2], references[0]])
            #expect(fly.counts == ["open": 1, "in progress": 2])
            #expect(fly.caption == "2 cases at Barchester City Council")
            #expect(try await list("from=2000-01-01&to=2000-12-31").counts.isEmpty)
        }
    }

    @Test func failedSignInsAreRefusedAlikeAndLockTheAccount() async throws {
        try await Self.withConsole { client, testDB in
            // No CSRF token: refused before anything is checked.
            let missing = try await client.execute(
                uri: "/console/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded"],
                body: ByteBuffer(string: "email=officer%40barchester.example&password=x")
            ) { $0.status }
            #expect(missing == .forbidden)

            let (unknown, noSession, unknownPage) = try await Self.signIn(client, email: "nobody@barchester.example")
            #expect(unknown == .unauthorized && noSession == nil)
            for _ in 0..<SignInRules.maxFailures {
                let (status, session, page) = try await Self.signIn(client, password: "not the password at all")
                #expect(status == .unauthorized && session == nil)
                // The same words for a wrong password and an unknown address.
                #expect(page.contains(##"<a href="#email">"##))
                #expect(Self.errorSummary(page) == Self.errorSummary(unknownPage) && Self.errorSummary(page) != nil)
            }
            // Locked: even the right password is refused for now.
            let (locked, lockedSession, _) = try await Self.signIn(client)
            #expect(locked == .unauthorized && lockedSession == nil)
            // When the lock-out ends, attempts count from zero again and the password works.
            try await testDB.withDatabase(poolSize: 1) { database in
                _ = try await DispatchFixtures.scalar(
                    database,
                    "UPDATE staff_accounts SET locked_until = now() - interval '1 second', last_failed_at = now() - interval '16 minutes' RETURNING 1",
                    as: Int.self
                )
            }
            let (_, stillOut, _) = try await Self.signIn(client, password: "one more wrong one")
            #expect(stillOut == nil)
            let (back, session, _) = try await Self.signIn(client)
            #expect(back == .seeOther && session != nil)
        }
    }

    @Test func parallelGuessesCannotGetPastTheLimit() async throws {
        try await Self.withConsole { client, testDB in
            try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for index in 0..<10 {
                    group.addTask { try await Self.signIn(client, password: "wrong guess number \(index)").0 }
                }
                for try await status in group { #expect(status == .unauthorized) }
            }
            let counted = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(
                    database,
                    "SELECT failed_logins FROM staff_accounts WHERE locked_until > now()",
                    as: Int.self
                )
            }
            #expect(counted == SignInRules.maxFailures)
            #expect(try await Self.signIn(client).1 == nil)
        }
    }

    @Test func signingOutNeedsTheFormsTokenAndEndsTheSession() async throws {
        try await Self.withConsole { client, _ in
            let (_, session, _) = try await Self.signIn(client)
            let cookie = try #require(session)
            let page = try await client.execute(uri: "/console/", method: .get, headers: [.cookie: cookie]) { $0.text }
            let csrf = try #require(page.range(of: #"name="csrf" value=""#).map { String(page[$0.upperBound...].prefix(64)) })
            let forged = try await client.execute(
                uri: "/console/logout",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "csrf=\(String(repeating: "0", count: 64))")
            ) { $0.status }
            #expect(forged == .forbidden)
            let signedOut = try await client.execute(
                uri: "/console/logout",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "csrf=\(csrf)")
            ) { response in
                #expect(Self.cookies(response)["ci_console"]?.contains("Max-Age=0") == true)
                return response.status
            }
            #expect(signedOut == .seeOther)
            #expect(
                try await client.execute(uri: "/console/", method: .get, headers: [.cookie: cookie]) { $0.headers[.location] } == "/console/login"
            )
        }
    }

    @Test func anOfficerWorksACaseThroughTheSameRulesAndTheAuditLog() async throws {
        try await Self.withConsole { client, testDB in
            let (ours, theirs): (UUID, UUID) = try await testDB.withDatabase(poolSize: 2) { database in
                (try await DispatchFixtures.report(database), try await DispatchFixtures.plumsteadReport(database))
            }
            let id = ours.uuidString.lowercased()
            let (_, session, _) = try await Self.signIn(client)
            let cookie = try #require(session)
            let page = try await client.execute(uri: "/console/cases/\(id)", method: .get, headers: [.cookie: cookie]) { response in
                #expect(response.status == .ok)
                return response.text
            }
            #expect(page.contains("Sofa dumped in the close.") && page.contains("waste_type") && page.contains("created"))
            // A caseworker does not see the reporter; a manager would.
            #expect(!page.contains("harding@example.org") && !page.contains(#"id="reporter""#))
            let other = try await client.execute(uri: "/console/cases/\(theirs.uuidString.lowercased())", method: .get, headers: [.cookie: cookie]) {
                $0.status
            }
            #expect(other == .notFound)
            let csrf = try #require(page.range(of: #"name="csrf" value=""#).map { String(page[$0.upperBound...].prefix(64)) })

            func change(_ body: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(
                    uri: "/console/cases/\(id)/status",
                    method: .post,
                    headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                    body: ByteBuffer(string: body)
                ) { ($0.status, $0.text) }
            }
            #expect(try await change("status=fixed").0 == .forbidden)
            let (moved, _) = try await change("csrf=\(csrf)&status=fixed&public_note=Cleared+today&internal_note=Crew+B%3A+%3Cb%3Eok%3C%2Fb%3E")
            #expect(moved == .seeOther)
            // The public timeline has the change and its public note, never the internal one.
            let events = try await BackOfficeAnswerTests.timeline(client, ours)
            #expect(events.last?["status"] as? String == "fixed")
            #expect(events.last?["public_note"] as? String == "Cleared today")
            #expect(events.last?["internal_note"] == nil)
            let after = try await client.execute(uri: "/console/cases/\(id)", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(after.contains("Crew B: &lt;b&gt;ok&lt;/b&gt;"))
            // The same rules as the API: a fixed case can only be reopened.
            let (refused, explained) = try await change("csrf=\(csrf)&status=in_progress")
            #expect(refused == .unprocessableContent)
            #expect(explained.contains(##"<a href="#new-status">A case cannot move from fixed to in progress</a>"##))
            let admin = try await bearer(testDB, role: .admin)
            let audit = try await client.execute(uri: "/v1/audit?action=case.status.change", method: .get, headers: admin) { $0.json }
            let entries = (audit["events"] as? [[String: Any]]) ?? []
            #expect(entries.count == 2)
            #expect((entries.first?["actor"] as? [String: Any])?["key_prefix"] as? String == "staff:officer@barchester.example")
            #expect(Set(entries.compactMap { $0["status"] as? Int }) == [303, 422])
        }
    }

    @Test func theQueuesPageShowsDeadLettersAndRedrivesThem() async throws {
        try await Self.withConsole { client, testDB in
            let reportID = try await testDB.withDatabase(poolSize: 1) { database in
                let id = try await DispatchFixtures.report(database)
                _ = try await DispatchFixtures.scalar(
                    database,
                    "UPDATE dispatch_jobs SET state = 'dead', attempts = 10, finished_at = now(), last_error = 'refused <b>loudly</b>' WHERE report_id = '\(id)' RETURNING 1",
                    as: Int.self
                )
                return id
            }
            let (_, session, _) = try await Self.signIn(client)
            let cookie = try #require(session)
            let page = try await client.execute(uri: "/console/queues", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(page.contains(#"<h2 id="queue-cases">cases</h2>"#))
            #expect(page.contains("refused &lt;b&gt;loudly&lt;/b&gt;"))
            let messageID = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(
                    database,
                    "SELECT message_id::text FROM dispatch_jobs WHERE report_id = '\(reportID)'",
                    as: String.self
                )
                    ?? ""
            }
            #expect(page.contains("/console/queues/cases/dead/\(messageID)/redrive"))
            let csrf = try #require(page.range(of: #"name="csrf" value=""#).map { String(page[$0.upperBound...].prefix(64)) })
            let status = try await client.execute(
                uri: "/console/queues/cases/dead/\(messageID)/redrive",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: cookie],
                body: ByteBuffer(string: "csrf=\(csrf)")
            ) { $0.status }
            #expect(status == .seeOther)
            let state = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(database, "SELECT state FROM dispatch_jobs WHERE report_id = '\(reportID)'", as: String.self)
            }
            #expect(state == "pending")
            let admin = try await bearer(testDB, role: .admin)
            let audit = try await client.execute(uri: "/v1/audit?action=destination.dead.redrive", method: .get, headers: admin) { $0.text }
            #expect(audit.contains("staff:officer@barchester.example"))
        }
    }

    @Test func theMapDrawsTheBoundaryAndOpenCasesAsLinks() async throws {
        try await Self.withConsole { client, testDB in
            let (open, closed): (UUID, UUID) = try await testDB.withDatabase(poolSize: 1) { database in
                let open = try await DispatchFixtures.report(database, description: "Open one")
                let closed = try await DispatchFixtures.report(database, description: "Closed one")
                _ = try await DispatchFixtures.scalar(
                    database,
                    "UPDATE reports SET status = 'fixed', closed_at = now() WHERE id = '\(closed)' RETURNING 1",
                    as: Int.self
                )
                return (open, closed)
            }
            let (_, session, _) = try await Self.signIn(client)
            let page = try await client.execute(uri: "/console/map", method: .get, headers: [.cookie: try #require(session)]) { $0.text }
            #expect(page.contains(#"<svg id="map""#))
            #expect(page.contains(#"<path d="M "#))
            #expect(page.contains(#"<a href="/console/cases/\#(open.uuidString.lowercased())"><circle cx="-1.9" cy="-52.3""#))
            #expect(!page.contains(closed.uuidString.lowercased()))
        }
    }

    @Test func managersSearchPaymentsReadTheirHistoryAndTakeTheDaysReconciliation() async throws {
        try await Self.withConsole { client, testDB in
            let app = try await bearer(testDB, role: .client)
            var headers = app
            headers[HTTPField.Name("Idempotency-Key")!] = UUID().uuidString
            let (created, intent) = try await PullQueueTests.post(
                client,
                "/v1/payment-intents",
                headers,
                #"{"council": "barchester", "purpose": "council_tax", "account_reference": "41234561", "amount": 12345, "return_url": "https://app.example/paid"}"#
            )
            #expect(created == .created, "\(intent)")
            let intentID = try #require(intent["id"] as? String)
            // A caseworker is turned away.
            let (_, caseworker, _) = try await Self.signIn(client)
            let refused = try await client.execute(uri: "/console/payments", method: .get, headers: [.cookie: try #require(caseworker)]) {
                $0.status
            }
            #expect(refused == .forbidden)

            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            _ = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/staff",
                staff,
                #"{"email": "manager@barchester.example", "name": "Mr Slope", "role": "manager", "password": "\#(Self.password)"}"#
            )
            let (_, session, _) = try await Self.signIn(client, email: "manager@barchester.example")
            let cookie = try #require(session)
            let list = try await client.execute(uri: "/console/payments?reference=41234561", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(list.contains("/console/payments/\(intentID)") && list.contains("£123.45"))
            let none = try await client.execute(uri: "/console/payments?reference=99999999", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(!none.contains("/console/payments/\(intentID)"))
            let history = try await client.execute(uri: "/console/payments/\(intentID)", method: .get, headers: [.cookie: cookie]) { $0.text }
            #expect(history.contains("<td>created</td><td>pending</td>"))
            var calendar = Calendar(identifier: .gregorian)
            calendar.timeZone = TimeZone(identifier: "Europe/London")!
            let today = calendar.dateComponents([.year, .month, .day], from: Date())
            let date = String(format: "%04d-%02d-%02d", today.year!, today.month!, today.day!)
            let csv = try await client.execute(uri: "/console/payments/reconciliation.csv?date=\(date)", method: .get, headers: [.cookie: cookie]) {
                ($0.status, $0.headers[.contentType], $0.text)
            }
            #expect(csv.0 == .ok && csv.1 == "text/csv; charset=utf-8")
            #expect(csv.2.hasPrefix("intent_id,") || csv.2.contains("account_reference"))
            let bad = try await client.execute(uri: "/console/payments?date=yesterday", method: .get, headers: [.cookie: cookie]) {
                ($0.status, $0.text)
            }
            #expect(bad.0 == .badRequest && bad.1.contains(##"<a href="#date">"##))
        }
    }

    @Test func theSessionCookieIsHttpOnlyLaxAndScopedToTheConsole() async throws {
        try await withApp(configure: {
            $0.staffBcryptCost = 4
            $0.publicBaseURL = "https://intake.example"
        }) { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let staff = try await bearer(testDB, role: .backoffice, council: "barchester")
            _ = try await PullQueueTests.post(
                client,
                "/v1/councils/barchester/staff",
                staff,
                #"{"email": "officer@barchester.example", "name": "Eleanor Bold", "role": "manager", "password": "\#(Self.password)"}"#
            )
            let (csrf, setCookie) = try await client.execute(uri: "/console/login", method: .get) { response in
                (Self.value(Self.cookies(response)["ci_console_csrf"]) ?? "", Self.cookies(response)["ci_console_csrf"] ?? "")
            }
            #expect(setCookie.contains("HttpOnly") && setCookie.contains("Secure") && setCookie.contains("Path=/console"))
            let session = try await client.execute(
                uri: "/console/login",
                method: .post,
                headers: [.contentType: "application/x-www-form-urlencoded", .cookie: "ci_console_csrf=\(csrf)"],
                body: ByteBuffer(
                    string: "csrf=\(csrf)&email=officer%40barchester.example&password=\(Self.password.replacingOccurrences(of: " ", with: "+"))"
                )
            ) { Self.cookies($0)["ci_console"] ?? "" }
            #expect(session.contains("HttpOnly"))
            #expect(session.contains("SameSite=Lax"))
            #expect(session.contains("Secure"))
            #expect(session.contains("Path=/console"))
        }
    }
}

/// The CSV field rule, reachable from the tests.
enum ConsoleRoutesCSV {
    static func field(_ value: String) -> String { ConsoleRoutes.csvField(value) }
}
