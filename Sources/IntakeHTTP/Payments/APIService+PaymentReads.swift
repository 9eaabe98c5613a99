import Foundation
import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

/// What a council's staff read: their payments (search) and a day's reconciliation.
extension APIService {
    func searchPayments(_ input: Operations.SearchPayments.Input) async throws -> Operations.SearchPayments.Output {
        let council = try await staffCouncil(input.path.slug)
        let query = input.query
        let limit = try Self.limit(query.limit, default: 50, max: 200)
        var errors: [FieldError] = []
        let from = Self.instant(query.from, endOfDay: false, pointer: "/query/from", errors: &errors)
        let to = Self.instant(query.to, endOfDay: true, pointer: "/query/to", errors: &errors)
        if let reference = query.accountReference, reference.wholeMatch(of: /[A-Za-z0-9 -]*/) == nil {
            errors.append(
                FieldError(pointer: "/query/account_reference", detail: "must be letters, digits, spaces and dashes", code: "invalid_reference")
            )
        }
        var after: UUID?
        if let cursor = query.cursor, !cursor.isEmpty {
            after = UUID(uuidString: cursor)
            if after == nil { errors.append(FieldError(pointer: "/query/cursor", detail: "is not a cursor this API gave", code: "invalid_cursor")) }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let found = try await payments.search(
            .init(
                councilID: council.id,
                createdFrom: from,
                createdBefore: to,
                state: query.state.flatMap { PaymentState(rawValue: $0.rawValue) },
                accountReference: query.accountReference.map(AccountReferenceRule.normalise),
                limit: limit,
                after: after
            )
        )
        let page = Array(found.prefix(limit))
        return .ok(
            .init(
                body: .json(
                    .init(
                        payments: try page.map { try .init($0, history: nil) },
                        nextCursor: found.count > limit ? page.last?.id.uuidString.lowercased() : nil
                    )
                )
            )
        )
    }

    /// A date (UK day: its start, or the next day's start for an upper bound) or a date-time.
    static func instant(_ text: String?, endOfDay: Bool, pointer: String, errors: inout [FieldError]) -> Date? {
        // An empty value (`from=`) is no filter, as HTML forms send it.
        guard let text, !text.isEmpty else { return nil }
        if let day = Reconciliation.londonDay(text) { return endOfDay ? day.end : day.start }
        if let date = InternetDate.parse(text) { return date }
        errors.append(
            FieldError(pointer: pointer, detail: "must be a date (YYYY-MM-DD) or an RFC 3339 date-time", code: "invalid_date")
        )
        return nil
    }

    func getReconciliation(_ input: Operations.GetReconciliation.Input) async throws -> Operations.GetReconciliation.Output {
        let council = try await staffCouncil(input.path.slug)
        guard let day = Reconciliation.londonDay(input.query.date) else {
            throw APIError.validation([FieldError(pointer: "/query/date", detail: "must be a date, YYYY-MM-DD", code: "invalid_date")])
        }
        let lines = try await payments.reconciliation(councilID: council.id, start: day.start, end: day.end)
        let result = Reconciliation(council: council.slug, date: input.query.date, lines: lines)
        let headers = Operations.GetReconciliation.Output.Ok.Headers(
            xReconciliationCount: result.count,
            xReconciliationTotalPence: result.totalPence,
            xReconciliationChecksum: result.checksum
        )
        if wantsCSV(format: input.query.format?.rawValue, accept: input.headers.accept.map { $0.contentType.rawValue }) {
            return .ok(.init(headers: headers, body: .csv(HTTPBody(result.csv))))
        }
        return .ok(.init(headers: headers, body: .json(.init(result))))
    }

    func wantsCSV(format: String?, accept: [String]) -> Bool {
        if let format { return format == "csv" }
        return accept.first == "text/csv"
    }
}

extension Components.Schemas.Reconciliation {
    init(_ result: Reconciliation) {
        self.init(
            council: result.council,
            date: result.date,
            count: result.count,
            totalPence: result.totalPence,
            totalsByState: result.totalsByState.sorted { $0.key.rawValue < $1.key.rawValue }.map {
                .init(state: .init(rawValue: $0.key.rawValue)!, count: $0.value.count, totalPence: $0.value.totalPence)
            },
            checksum: result.checksum,
            lines: result.lines.map {
                .init(
                    intentId: $0.intentID.uuidString.lowercased(),
                    paidAt: $0.paidAt,
                    accountReference: $0.accountReference,
                    fundCode: $0.fundCode,
                    amount: $0.amountPence,
                    provider: $0.provider,
                    providerReference: $0.providerReference,
                    state: .init(rawValue: $0.state.rawValue)!
                )
            }
        )
    }
}
