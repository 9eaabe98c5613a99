import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// The services' and stores' refusals as the problems the API documents.
extension APIError {
    init(_ error: IntakeError) {
        switch error {
        case .invalid(let problems): self = .validation(problems)
        case .outsideServiceArea(let point): self = .outsideServiceArea(point)
        case .categoryNotAvailableHere(let code, let available): self = .categoryNotAvailableHere(code, available: available)
        case .wrongJurisdiction(let service, let routedTo, let asked):
            self = .badRequest("This location's \(service) requests go to \(routedTo), not \(asked).", code: "wrong_jurisdiction")
        }
    }

    init(_ conflict: IdempotencyStore.Conflict) {
        switch conflict {
        case .keyReused:
            self.init(
                status: 422,
                code: "idempotency_key_reused",
                title: "Idempotency key reused",
                detail: "This Idempotency-Key was used with a different request. Use a new key for a new request."
            )
        case .inProgress:
            self.init(
                status: 409,
                code: "idempotency_request_in_progress",
                title: "Request in progress",
                detail: "The first request with this Idempotency-Key is still being processed. Retry shortly.",
                retryAfter: 1
            )
        }
    }

    /// A problem for the errors below the HTTP layer that a client can act on; nil for others.
    static func fromService(_ error: any Error) -> APIError? {
        switch error {
        case let intake as IntakeError: APIError(intake)
        case let conflict as IdempotencyStore.Conflict: APIError(conflict)
        case let photos as MediaStore.NotAttachable: .validation(photos.fieldErrors(pointer: "/photos"))
        case let refused as TransitionRefused: .invalidStatusTransition(from: refused.from, to: refused.to)
        // Start-up refuses a key that cannot open what is stored, so only a write of a new
        // secret without any SECRETS_KEY gets here: the operator's to fix, not the caller's.
        case SecretKeyring.Failure.keyMissing:
            APIError(
                status: 503,
                code: "secrets_key_missing",
                title: "Service unavailable",
                detail: "This service has no SECRETS_KEY set, so it cannot store secrets; its operator must set one."
            )
        default: nil
        }
    }
}

extension APIError {
    static func invalidStatusTransition(from: ReportStatus, to: ReportStatus) -> APIError {
        let allowed = ReportStatus.allCases.filter { from.canMove(to: $0) }.map(\.rawValue)
        var error = APIError.validation(
            [
                FieldError(
                    pointer: "/status",
                    detail: "a \(from.isOpen ? "open" : "closed") case at '\(from.rawValue)' cannot move to '\(to.rawValue)'",
                    code: "invalid_status_transition"
                )
            ],
            detail: "The case is '\(from.rawValue)'; it can move to: \(allowed.joined(separator: ", "))."
        )
        error.code = "invalid_status_transition"
        error.extensions["allowed"] = allowed
        return error
    }
}
