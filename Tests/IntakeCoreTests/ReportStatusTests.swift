import IntakeCore
import Testing

@Suite struct ReportStatusTests {
    @Test func everyStatusIsOpenOrClosedAsOpen311Expects() {
        let open = ReportStatus.allCases.filter(\.isOpen).map(\.rawValue)
        #expect(open == ["open", "for_triage", "investigating", "in_progress", "planned", "action_scheduled", "reopen"])
        #expect(!ReportStatus.fixed.isOpen && !ReportStatus.duplicate.isOpen && !ReportStatus.cancelled.isOpen)
    }

    /// From each status, the statuses a report may move to (FixMyStreet's rules: open statuses
    /// move freely and may close; a closed report can only be reopened).
    static let allowed: [ReportStatus: Set<ReportStatus>] = {
        let open: Set<ReportStatus> = [.open, .forTriage, .investigating, .inProgress, .planned, .actionScheduled]
        let closed: Set<ReportStatus> = [.fixed, .closed, .duplicate, .notCouncilsResponsibility, .noFurtherAction, .internalReferral, .cancelled]
        var table: [ReportStatus: Set<ReportStatus>] = [:]
        for status in open.union([.reopen]) { table[status] = open.union(closed).subtracting([status]) }
        for status in closed { table[status] = [.reopen] }
        return table
    }()

    @Test(arguments: ReportStatus.allCases)
    func transitionsFrom(status: ReportStatus) {
        let expected = Self.allowed[status] ?? []
        let actual = Set(ReportStatus.allCases.filter { status.canMove(to: $0) })
        #expect(actual == expected, "from \(status)")
    }

    @Test func closedReportsOnlyReopen() {
        #expect(!ReportStatus.fixed.canMove(to: .inProgress))
        #expect(ReportStatus.fixed.canMove(to: .reopen))
        #expect(ReportStatus.reopen.canMove(to: .fixed))
        #expect(!ReportStatus.open.canMove(to: .reopen))
    }
}
