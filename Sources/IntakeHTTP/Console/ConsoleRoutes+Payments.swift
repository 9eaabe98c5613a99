import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// Payments, for managers: search, an intent's history, the day's reconciliation.
extension ConsoleRoutes {
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
}
