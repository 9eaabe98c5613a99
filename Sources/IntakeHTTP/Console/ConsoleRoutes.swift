import Crypto
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
        ] {
            routes.add(method: method, path: path)
        }
    }

    // MARK: Sign-in

    func loginPage(_ request: Request, error: String? = nil, email: String = "", status: HTTPResponse.Status = .ok) -> Response {
        let csrf = Self.cookie(request, Self.loginCSRFCookie).flatMap { $0.count == 64 ? $0 : nil } ?? Secrets.randomHex(bytes: 32)
        var values: [String: Any] = ["csrf": csrf, "email": email]
        if let error { values["error"] = error }
        var response = page(title: "Sign in", content: ConsoleTemplates.render("login", values), error: error != nil, status: status)
        response.headers[values: .setCookie].append(cookie(Self.loginCSRFCookie, csrf, maxAge: 3600, sameSite: "Strict", request: request))
        return response
    }

    func signIn(_ request: Request) async throws -> Response {
        let form = try await Self.form(request)
        guard let sent = form["csrf"], let expected = Self.cookie(request, Self.loginCSRFCookie),
            Secrets.constantTimeEquals(Array(sent.utf8), Array(expected.utf8))
        else { return forbidden() }
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

    // MARK: Cases

    func casesPage(_ request: Request) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let filters = CaseFilters(query: request.uri.query)
        var values: [String: Any] = ["filters": filters.values]
        var rows: [[String: Any]] = []
        var counts: [[String: Any]] = []
        var status: HTTPResponse.Status = .ok
        switch filters.query(council: account.council.slug, cursor: filters.cursor) {
        case .failure(let errors):
            status = .badRequest
            values["hasErrors"] = true
            values["errors"] = errors.problems.map { ["field": $0.field, "message": $0.message] }
            values["caption"] = "Cases"
        case .success(let query):
            let page = try await reports.list(query)
            let byStatus = try await reports.statusCounts(query)
            rows = page.reports.map(Self.row)
            counts = ReportStatus.allCases.compactMap { status in
                byStatus[status].map { ["label": NotificationMessage.label(status), "count": $0] }
            }
            let shown = query.statuses.map(Set.init) ?? Set(ReportStatus.allCases)
            let total = byStatus.filter { shown.contains($0.key) }.values.reduce(0, +)
            values["caption"] = "\(total) \(total == 1 ? "case" : "cases") at \(account.council.name)"
            if let next = page.next { values["next"] = "/console/?" + filters.queryString(cursor: next.token) }
        }
        values["rows"] = rows
        values["manager"] = account.role == .manager
        values["counts"] = counts
        values["statusOptions"] = filters.statusOptions
        values["csv"] = "/console/cases.csv?" + filters.queryString(cursor: nil)
        return page(
            title: "Cases",
            content: ConsoleTemplates.render("cases", values),
            error: status != .ok,
            status: status,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }

    func casesCSV(_ request: Request) async throws -> Response {
        guard let (_, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        guard case .success(var query) = CaseFilters(query: request.uri.query).query(council: account.council.slug, cursor: nil) else {
            return Response(
                status: .badRequest,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Check the filters.\n"))
            )
        }
        query.limit = ReportQuery.maxLimit
        var lines = ["reference,category,status,reported_at,address,description"]
        // Bounded: the newest 10,000 that match (narrow the filters for more).
        while lines.count <= 10_000 {
            let page = try await reports.list(query)
            for report in page.reports {
                lines.append(
                    [
                        report.reference, report.category.name, report.status.rawValue, InternetDate.format(report.createdAt), report.address ?? "",
                        report.description,
                    ].map(Self.csvField).joined(separator: ",")
                )
            }
            guard let next = page.next else { break }
            query.cursor = next
        }
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .contentDisposition: "attachment; filename=\"cases-\(account.council.slug).csv\"",
                .cacheControl: "no-store",
            ],
            body: .init(byteBuffer: ByteBuffer(string: lines.joined(separator: "\r\n") + "\r\n"))
        )
    }

    static func row(_ report: Report) -> [String: Any] {
        let description = report.description.count > 160 ? String(report.description.prefix(157)) + "…" : report.description
        return [
            "id": report.id.uuidString.lowercased(), "reference": report.reference, "category": report.category.name,
            "status": NotificationMessage.label(report.status),
            "reported": InternetDate.format(report.createdAt), "address": report.address ?? "", "description": description,
        ]
    }

    // MARK: One case

    /// The case of the officer's council, or nil (another council's case is not found either).
    func councilCase(_ id: String, account: StaffAccount) async throws -> Report? {
        guard let reportID = UUID(uuidString: id), let (report, _) = try await reports.find(id: reportID),
            report.council.id == account.council.id
        else { return nil }
        return report
    }

    func casePage(_ request: Request, id: String, errors: [CaseFilters.Problem] = [], status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        guard let report = try await councilCase(id, account: account) else { return notFound(account: account, token: token) }
        let timeline = try await reports.timeline(reportID: report.id)
        var values: [String: Any] = [
            "id": report.id.uuidString.lowercased(), "reference": report.reference, "category": report.category.name,
            "status": NotificationMessage.label(report.status), "reported": InternetDate.format(report.createdAt),
            "address": report.address ?? "", "lat": String(format: "%.6f", report.location.lat), "lon": String(format: "%.6f", report.location.lon),
            "description": report.description, "photos": report.photoIDs.map { $0.uuidString.lowercased() },
            "hasPhotos": !report.photoIDs.isEmpty,
            "attributes": report.attributes.keys.sorted().map { key -> [String: Any] in
                let value: String
                switch report.attributes[key] {
                case .text(let text): value = text
                case .number(let number): value = String(number)
                case .list(let list): value = list.joined(separator: ", ")
                case nil: value = ""
                }
                return ["name": key, "value": value]
            },
            "timeline": timeline.map { event -> [String: Any] in
                [
                    "when": InternetDate.format(event.createdAt),
                    "what": event.status.map { "\(event.kind.rawValue.replacingOccurrences(of: "_", with: " ")): \(NotificationMessage.label($0))" }
                        ?? event.kind.rawValue.replacingOccurrences(of: "_", with: " "),
                    "publicNote": event.publicNote ?? "", "internalNote": event.internalNote ?? "",
                ]
            },
            "nextStatuses": ReportStatus.allCases.filter { report.status.canMove(to: $0) }.map {
                ["value": $0.rawValue, "label": NotificationMessage.label($0)]
            },
            "csrf": Self.csrf(for: token),
        ]
        if let reference = report.externalReference { values["councilReference"] = reference }
        // Reporters' contact details are for managers only.
        if account.role == .manager, let reporter = report.reporter {
            values["reporter"] = ["name": reporter.name ?? "", "email": reporter.email ?? "", "phone": reporter.phone ?? ""]
        }
        if !errors.isEmpty {
            values["hasErrors"] = true
            values["errors"] = errors.map { ["field": $0.field, "message": $0.message] }
        }
        return page(
            title: report.reference,
            content: ConsoleTemplates.render("case", values),
            error: !errors.isEmpty,
            status: status,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }

    /// The same rules and events as the back office's API, and an audit entry written before
    /// the change (a failure to write it stops the change).
    func changeStatus(_ request: Request, id: String, requestID: String) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let form = try await Self.form(request)
        guard Self.formTokenMatches(form, session: token) else {
            return forbidden()
        }
        guard let report = try await councilCase(id, account: account) else { return notFound(account: account, token: token) }
        var problems: [CaseFilters.Problem] = []
        func note(_ name: String) -> String? {
            let text = (form[name] ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
            if text.unicodeScalars.count > ReportRules.maxDescription || text.unicodeScalars.contains(where: { $0.value == 0 }) {
                problems.append(.init(field: name, message: "Enter at most \(ReportRules.maxDescription) characters"))
            }
            return text.isEmpty ? nil : text
        }
        let publicNote = note("public_note")
        let internalNote = note("internal_note")
        guard let status = ReportStatus(rawValue: form["status"] ?? "") else {
            return try await casePage(request, id: id, errors: [.init(field: "new-status", message: "Choose a status")], status: .badRequest)
        }
        if !problems.isEmpty { return try await casePage(request, id: id, errors: problems, status: .badRequest) }
        let changes = String(
            decoding: try JSONSerialization.data(
                withJSONObject: [
                    "status": status.rawValue, "public_note": publicNote as Any? ?? NSNull(), "internal_note": internalNote as Any? ?? NSNull(),
                ] as [String: Any],
                options: [.sortedKeys]
            ),
            as: UTF8.self
        )
        let entry = try await beginAudit(
            account,
            requestID: requestID,
            action: "case.status.change",
            route: "/console/cases/{id}/status",
            target: ["id": report.id.uuidString.lowercased()],
            changes: changes
        )
        do {
            _ = try await reports.changeStatus(
                reportID: report.id,
                councilID: account.council.id,
                .init(status: status, publicNote: publicNote, internalNote: internalNote, expectedAt: nil)
            )
        } catch let refused as TransitionRefused {
            try? await audit.complete(id: entry, status: 422, notes: [:])
            return try await casePage(
                request,
                id: id,
                errors: [
                    .init(
                        field: "new-status",
                        message: "A case cannot move from \(NotificationMessage.label(refused.from)) to \(NotificationMessage.label(refused.to))"
                    )
                ],
                status: .unprocessableContent
            )
        } catch {
            try? await audit.complete(id: entry, status: 500, notes: [:])
            throw error
        }
        try await audit.complete(id: entry, status: 303, notes: [:])
        return Response(status: .seeOther, headers: [.location: "/console/cases/\(report.id.uuidString.lowercased())"])
    }

    // MARK: Queues

    func queuesPage(_ request: Request) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let csrf = Self.csrf(for: token)
        let stats = Dictionary(uniqueKeysWithValues: try await dispatch.stats(councilID: account.council.id).map { ($0.destinationID, $0) })
        var queues: [[String: Any]] = []
        for destination in try await dispatch.list(councilID: account.council.id) {
            let figures = stats[destination.id]
            let attempts = try await dispatch.attempts(destinationID: destination.id, limit: 20)
            let dead = try await dispatch.dead(destinationID: destination.id, limit: 50, after: nil)
            queues.append([
                "name": destination.name, "kind": destination.kind.rawValue, "depth": figures?.depth ?? 0, "inFlight": figures?.inFlight ?? 0,
                "oldest": Self.age(figures?.oldestAgeSeconds ?? 0), "dead": figures?.dead ?? 0,
                "enabled": destination.disabledAt == nil ? "yes" : "no: \(destination.disabledReason ?? "disabled")",
                "attempts": attempts.map { attempt -> [String: Any] in
                    [
                        "when": InternetDate.format(attempt.startedAt), "type": attempt.eventType, "attempt": attempt.attempt,
                        "outcome": attempt.outcome.rawValue, "status": attempt.statusCode.map(String.init) ?? "none",
                        "ms": attempt.durationMilliseconds, "excerpt": attempt.error ?? attempt.responseExcerpt ?? "",
                    ]
                },
                "deadMessages": dead.map { message -> [String: Any] in
                    [
                        "id": message.messageID.uuidString.lowercased(), "type": message.eventType, "attempts": message.attempts,
                        "error": message.lastError ?? "", "died": message.diedAt.map(InternetDate.format) ?? "", "queue": destination.name,
                        "csrf": csrf,
                    ]
                },
            ])
        }
        return page(
            title: "Queues",
            content: ConsoleTemplates.render("queues", ["queues": queues, "council": account.council.name]),
            error: false,
            status: .ok,
            account: account,
            csrf: csrf
        )
    }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: "none"
        case ..<120: "\(Int(seconds)) s"
        case ..<7200: "\(Int(seconds / 60)) min"
        default: "\(Int(seconds / 3600)) h"
        }
    }

    /// Puts a dead message back in its queue, as the destinations API does, audited.
    func redrive(_ request: Request, queue: String, message: String, requestID: String) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let form = try await Self.form(request)
        guard Self.formTokenMatches(form, session: token) else {
            return forbidden()
        }
        guard let destination = try await dispatch.find(name: queue, councilID: account.council.id), let messageID = UUID(uuidString: message) else {
            return notFound(account: account, token: token)
        }
        let entry = try await beginAudit(
            account,
            requestID: requestID,
            action: "destination.dead.redrive",
            route: "/console/queues/{name}/dead/{message_id}/redrive",
            target: ["name": destination.name, "message_id": messageID.uuidString.lowercased()],
            changes: "{}"
        )
        let result = try await dispatch.redrive(destinationID: destination.id, messageID: messageID)
        try await audit.complete(id: entry, status: result == .redriven ? 303 : 409, notes: [:])
        return Response(status: .seeOther, headers: [.location: "/console/queues#queue-\(destination.name)"])
    }

    // MARK: Payments (managers)

    /// A manager's session, or the answer for anyone else (sign in, or 403).
    func manager(_ request: Request) async throws -> Result<(String, StaffAccount), ManagersOnly> {
        guard let (token, account) = try await session(request) else {
            return .failure(ManagersOnly(response: Response(status: .seeOther, headers: [.location: "/console/login"])))
        }
        guard account.role == .manager else {
            return .failure(
                ManagersOnly(
                    response: page(
                        title: "Managers only",
                        content: "<h1>Managers only</h1><p>Payments are for your council's managers. <a href=\"/console/\">Back to cases</a></p>",
                        error: true,
                        status: .forbidden,
                        account: account,
                        csrf: Self.csrf(for: token)
                    )
                )
            )
        }
        return .success((token, account))
    }

    struct ManagersOnly: Error { var response: Response }

    static func pounds(_ pence: Int64) -> String { String(format: "£%d.%02d", pence / 100, pence % 100) }

    func paymentsPage(_ request: Request) async throws -> Response {
        let token: String
        let account: StaffAccount
        switch try await manager(request) {
        case .success(let signedIn): (token, account) = signedIn
        case .failure(let refusal): return refusal.response
        }
        let fields = CaseFilters.fields(request.uri.query)
        let reference = (fields["reference"] ?? "").trimmingCharacters(in: .whitespaces)
        let date = (fields["date"] ?? "").trimmingCharacters(in: .whitespaces)
        var values: [String: Any] = ["reference": reference, "date": date, "caption": "Payments"]
        var search = PaymentStore.Search(councilID: account.council.id, accountReference: reference.isEmpty ? nil : reference, limit: 50)
        var status: HTTPResponse.Status = .ok
        if !date.isEmpty {
            if let day = Reconciliation.londonDay(date) {
                search.createdFrom = day.start
                search.createdBefore = day.end
            } else {
                status = .badRequest
                values["hasErrors"] = true
                values["errors"] = [["field": "date", "message": "Enter the day as YYYY-MM-DD"]]
                values["date"] = ""
            }
        }
        if reference.unicodeScalars.count > 100 || reference.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            status = .badRequest
            values["hasErrors"] = true
            values["errors"] = [["field": "reference", "message": "Enter at most 100 characters"]]
        }
        if status == .ok {
            let found = try await payments.search(search)
            values["caption"] = "\(found.count) \(found.count == 1 ? "payment" : "payments") (the newest 50 at most)"
            values["rows"] = found.map { intent -> [String: Any] in
                [
                    "id": intent.id.uuidString.lowercased(), "created": InternetDate.format(intent.createdAt), "reference": intent.accountReference,
                    "amount": Self.pounds(intent.amountPence), "state": intent.state.rawValue, "providerReference": intent.providerReference ?? "",
                ]
            }
        }
        return page(
            title: "Payments",
            content: ConsoleTemplates.render("payments", values),
            error: status != .ok,
            status: status,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }

    func paymentPage(_ request: Request, id: String) async throws -> Response {
        let token: String
        let account: StaffAccount
        switch try await manager(request) {
        case .success(let signedIn): (token, account) = signedIn
        case .failure(let refusal): return refusal.response
        }
        guard let intentID = UUID(uuidString: id), let intent = try await payments.find(id: intentID), intent.council.id == account.council.id else {
            return notFound(account: account, token: token)
        }
        let events = try await payments.events(intent.id)
        let values: [String: Any] = [
            "reference": intent.accountReference, "amount": Self.pounds(intent.amountPence), "state": intent.state.rawValue,
            "description": intent.description, "fundCode": intent.fundCode,
            "payer": [intent.payerName, intent.payerEmail].compactMap { $0 }.joined(separator: ", "),
            "provider": intent.provider, "providerReference": intent.providerReference ?? "",
            "events": events.map { event -> [String: Any] in
                [
                    "at": InternetDate.format(event.at), "from": event.from?.rawValue ?? "", "to": event.to.rawValue, "actor": event.actor,
                    "reason": event.reason,
                ]
            },
        ]
        return page(
            title: "Payment",
            content: ConsoleTemplates.render("payment", values),
            error: false,
            status: .ok,
            account: account,
            csrf: Self.csrf(for: token)
        )
    }

    func reconciliationCSV(_ request: Request) async throws -> Response {
        let account: StaffAccount
        switch try await manager(request) {
        case .success(let signedIn): account = signedIn.1
        case .failure(let refusal): return refusal.response
        }
        let date = CaseFilters.fields(request.uri.query)["date"] ?? ""
        guard let day = Reconciliation.londonDay(date) else {
            return Response(
                status: .badRequest,
                headers: [.contentType: "text/plain; charset=utf-8"],
                body: .init(byteBuffer: ByteBuffer(string: "Give the day as date=YYYY-MM-DD.\n"))
            )
        }
        let lines = try await payments.reconciliation(councilID: account.council.id, start: day.start, end: day.end)
        let result = Reconciliation(council: account.council.slug, date: date, lines: lines)
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/csv; charset=utf-8", .cacheControl: "no-store",
                .contentDisposition: "attachment; filename=\"reconciliation-\(account.council.slug)-\(date).csv\"",
            ],
            body: .init(byteBuffer: ByteBuffer(string: result.csv))
        )
    }

    // MARK: Map

    /// The council's boundary and open cases as SVG, drawn by PostGIS (`ST_AsSVG`): no tiles,
    /// nothing fetched from elsewhere.
    func mapPage(_ request: Request) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let limit = 2000
        let map = try await councils.map(councilID: account.council.id, openCasesLimit: limit)
        let width = max(map.maxX - map.minX, 1e-6)
        let height = max(map.maxY - map.minY, 1e-6)
        let values: [String: Any] = [
            "council": account.council.name, "count": map.points.count, "limit": limit, "boundary": map.boundaryPath,
            "viewBox": "\(map.minX) \(map.minY) \(width) \(height)", "radius": max(width, height) / 150,
            "points": map.points.map { point -> [String: Any] in
                ["id": point.id.uuidString.lowercased(), "reference": point.reference, "category": point.category, "x": point.x, "y": point.y]
            },
        ]
        return page(
            title: "Map",
            content: ConsoleTemplates.render("map", values),
            error: false,
            status: .ok,
            account: account,
            csrf: Self.csrf(for: token)
        )
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
