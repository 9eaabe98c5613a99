import IntakeCore
import Testing

@Suite struct ReportStatusTests {
    @Test func everyStatusIsOpenOrClosedAsOpen311Expects() {
        let open = ReportStatus.allCases.filter(\.isOpen).map(\.rawValue)
        #expect(open == ["open", "for_triage", "investigating", "in_progress", "planned", "action_scheduled", "reopen"])
        #expect(!ReportStatus.fixed.isOpen && !ReportStatus.duplicate.isOpen && !ReportStatus.cancelled.isOpen)
    }

    @Test(arguments: ReportStatus.allCases)
    func transitionsFrom(status: ReportStatus) {
        for next in ReportStatus.allCases {
            let expected: Bool
            if next == status {
                expected = false
            } else if status.isOpen {
                expected = next != .reopen
            } else {
                expected = next == .reopen
            }
            #expect(status.canMove(to: next) == expected, "\(status) → \(next)")
        }
    }

    @Test func closedReportsOnlyReopen() {
        #expect(!ReportStatus.fixed.canMove(to: .inProgress))
        #expect(ReportStatus.fixed.canMove(to: .reopen))
        #expect(ReportStatus.reopen.canMove(to: .fixed))
        #expect(!ReportStatus.open.canMove(to: .reopen))
    }
}
