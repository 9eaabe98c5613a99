/// A report's status: the extended list FixMyStreet and open311-adapter use, each open or closed.
public enum ReportStatus: String, Sendable, CaseIterable, Codable {
    case open
    case forTriage = "for_triage"
    case investigating
    case inProgress = "in_progress"
    case planned
    case actionScheduled = "action_scheduled"
    case fixed
    case closed
    case duplicate
    case notCouncilsResponsibility = "not_councils_responsibility"
    case noFurtherAction = "no_further_action"
    case internalReferral = "internal_referral"
    case cancelled
    case reopen

    /// Open311's two-valued status.
    public var isOpen: Bool {
        switch self {
        case .open, .forTriage, .investigating, .inProgress, .planned, .actionScheduled, .reopen: true
        case .fixed, .closed, .duplicate, .notCouncilsResponsibility, .noFurtherAction, .internalReferral, .cancelled:
            false
        }
    }

    /// Whether a report may move from `self` to `next`.
    ///
    /// Open statuses move freely among themselves and to any closing status. A closed report can
    /// only be reopened (`reopen`), which then behaves as open. `reopen` is only for closed
    /// reports, and nothing moves to the status it already has.
    public func canMove(to next: ReportStatus) -> Bool {
        guard next != self else { return false }
        if isOpen { return next != .reopen }
        return next == .reopen
    }
}
