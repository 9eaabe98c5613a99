import Foundation
import IntakeStorage
import Synchronization

/// Stamps each key's `last_used_at` without a write per request: uses are kept in memory and
/// written in one statement, the first time this process sees a key and otherwise at most
/// `interval` after the use (a flush is scheduled for when the interval is up). A process that
/// stops loses at most its last interval's stamps.
public final class KeyUsage: Sendable {
    struct State {
        var pending: [UUID: Date] = [:]
        var seen: Set<UUID> = []
        var lastFlush: ContinuousClock.Instant?
        var flushing = false
        /// A key first seen while a flush ran: flush again at once.
        var newWhileFlushing = false
        /// A flush is already waiting for the interval to be up.
        var scheduled = false
    }

    let store: APIKeyStore
    let interval: Duration
    private let state = Mutex(State())

    public init(store: APIKeyStore, interval: Duration = .seconds(60)) {
        self.store = store
        self.interval = interval
    }

    enum Next {
        case none, now
        case later(Duration)
    }

    public func record(_ keyID: UUID, at date: Date = Date()) {
        let next = state.withLock { state -> Next in
            state.pending[keyID] = date
            let firstSight = state.seen.insert(keyID).inserted
            guard !state.flushing else {
                if firstSight { state.newWhileFlushing = true }
                return .none
            }
            let waited = state.lastFlush.map { $0.duration(to: .now) } ?? interval
            if firstSight || waited >= interval {
                state.flushing = true
                return .now
            }
            if state.scheduled { return .none }
            state.scheduled = true
            return .later(interval - waited)
        }
        switch next {
        case .none: return
        case .now: Task { await flush() }
        case .later(let wait):
            Task {
                try? await Task.sleep(for: wait)
                let start = state.withLock { state -> Bool in
                    state.scheduled = false
                    guard !state.flushing, !state.pending.isEmpty else { return false }
                    state.flushing = true
                    return true
                }
                if start { await flush() }
            }
        }
    }

    func flush() async {
        var again = true
        while again {
            let batch = state.withLock { state in
                let batch = state.pending
                state.pending = [:]
                state.newWhileFlushing = false
                return batch
            }
            var failed = false
            do {
                try await store.markUsed(batch)
            } catch {
                // Kept for the next round (a newer use of the same key wins).
                failed = true
                state.withLock { state in
                    for (id, date) in batch where state.pending[id] == nil { state.pending[id] = date }
                }
            }
            again = state.withLock { state in
                let again = state.newWhileFlushing && !failed
                if !again {
                    state.flushing = false
                    state.lastFlush = .now
                }
                return again
            }
        }
    }
}
