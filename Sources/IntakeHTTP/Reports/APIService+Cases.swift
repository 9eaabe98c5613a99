import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// How councils answer a case: acknowledge it with their reference, move its status. Only the
/// back-office keys of the case's council; any other key's case lookups are 404.
extension APIService {
    func acknowledgeCase(_ input: Operations.AcknowledgeCase.Input) async throws -> Operations.AcknowledgeCase.Output {
        let councilID = try await backOfficeCouncilID()
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        // As the contract's pattern and length say: up to 100 code points as sent, one line, not blank.
        let reference = body.externalReference.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !reference.isEmpty, body.externalReference.unicodeScalars.count <= 100,
            !body.externalReference.contains(where: \.isNewline)
        else {
            throw APIError.validation(
                [FieldError(pointer: "/external_reference", detail: "must be 1–100 characters on one line", code: "invalid_length")])
        }
        guard let reportID = UUID(uuidString: input.path.id),
            let report = try await reports.acknowledge(reportID: reportID, councilID: councilID, externalReference: reference)
        else { throw APIError.caseNotFound(input.path.id) }
        return .ok(.init(body: .json(try .init(report, audience: .council))))
    }

    func updateCaseStatus(_ input: Operations.UpdateCaseStatus.Input) async throws -> Operations.UpdateCaseStatus.Output {
        let councilID = try await backOfficeCouncilID()
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        var errors: [FieldError] = []
        func note(_ text: String?, _ pointer: String) -> String? {
            guard let text, case let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
            if text.unicodeScalars.count > ReportRules.maxDescription {
                errors.append(
                    FieldError(pointer: pointer, detail: "must be at most \(ReportRules.maxDescription) characters", code: "invalid_length")
                )
            }
            return trimmed
        }
        let publicNote = note(body.publicNote, "/public_note")
        let internalNote = note(body.internalNote, "/internal_note")
        if !errors.isEmpty { throw APIError.validation(errors) }
        guard let status = ReportStatus(rawValue: body.status.rawValue) else { throw APIError.internalError }
        guard let reportID = UUID(uuidString: input.path.id),
            let (report, _) = try await reports.changeStatus(
                reportID: reportID,
                councilID: councilID,
                .init(status: status, publicNote: publicNote, internalNote: internalNote, expectedAt: body.expectedAt)
            )
        else { throw APIError.caseNotFound(input.path.id) }
        return .ok(.init(body: .json(try .init(report, audience: .council))))
    }
}

extension APIError {
    static func caseNotFound(_ id: String) -> APIError {
        .notFound("Your council has no case with the id '\(id)'.")
    }
}
