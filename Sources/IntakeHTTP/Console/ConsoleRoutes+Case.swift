import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// One case: its page and the status form.
extension ConsoleRoutes {
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
}
