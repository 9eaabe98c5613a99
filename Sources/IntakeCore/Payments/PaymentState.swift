/// The life of a payment intent. Every allowed move is listed here and nowhere else; storage
/// applies a move only as a guarded update (`… WHERE state = expected`), so a late or replayed
/// provider event can never move a finished intent backwards.
public enum PaymentState: String, Sendable, CaseIterable, Codable {
    case created
    case pending
    case succeeded
    case failed
    case cancelled
    case expired
    case postingQueued = "posting_queued"
    case posted
    case postingFailed = "posting_failed"

    /// The states each state may move to.
    public static let transitions: [PaymentState: Set<PaymentState>] = [
        .created: [.pending, .failed, .cancelled, .expired],
        .pending: [.succeeded, .failed, .cancelled, .expired],
        .succeeded: [.postingQueued],
        .postingQueued: [.posted, .postingFailed],
        // An operator may queue a failed posting again once the revenues system is fixed.
        .postingFailed: [.postingQueued],
        .failed: [], .cancelled: [], .expired: [], .posted: [],
    ]

    public func canMove(to next: PaymentState) -> Bool {
        Self.transitions[self, default: []].contains(next)
    }

    /// The payer's part is over: the money was taken or it never will be.
    public var isSettled: Bool { self != .created && self != .pending }

    /// Nothing can happen to it any more.
    public var isTerminal: Bool { Self.transitions[self, default: []].isEmpty }

    /// Money was taken (whatever became of the hand-off to the revenues system).
    public var isPaid: Bool { [.succeeded, .postingQueued, .posted, .postingFailed].contains(self) }
}
