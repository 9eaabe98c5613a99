import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// The case list, its filters and its CSV export.
extension ConsoleRoutes {
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
}
