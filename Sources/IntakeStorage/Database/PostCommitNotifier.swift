import Foundation
import Logging
import PostgresNIO
import Synchronization

/// Sends NOTIFYs for work that has already committed, coalesced: at most one statement per
/// `interval` per process, on a pooled connection, outside any write transaction.
///
/// Why not NOTIFY in the writing transaction: PostgreSQL takes one database-wide lock at the
/// commit of a transaction that has notified and holds it until that commit is flushed, so every
/// such commit waits for the previous one's disk flush (intake ran at a third of its rate).
/// Notifications are hints: listeners keep a poll backstop, so one lost here (database down,
/// process killed after commit) delays work by at most a poll interval, never loses it.
final class PostCommitNotifier: Sendable {
    private struct State {
        var pending: [String: Set<String>] = [:]
        var waiter: CheckedContinuation<Void, Never>?
        var stopped = false
    }

    private let state = Mutex(State())
    let interval: Duration

    init(interval: Duration = .milliseconds(2)) {
        self.interval = interval
    }

    /// Queues `payload` on `channel`; returns at once.
    func announce(channel: String, payload: String) {
        let waiter: CheckedContinuation<Void, Never>? = state.withLock { state in
            guard !state.stopped else { return nil }
            state.pending[channel, default: []].insert(payload)
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    /// Sends what has been announced until cancelled. `send` gets one channel's distinct payloads.
    func run(send: @Sendable (String, [String]) async throws -> Void, logger: Logger) async {
        while !Task.isCancelled {
            await nextAnnouncement()
            if Task.isCancelled { break }
            // Let announcements made meanwhile join this statement.
            try? await Task.sleep(for: interval)
            let batch = state.withLock { state in
                defer { state.pending = [:] }
                return state.pending
            }
            var failed = false
            for (channel, payloads) in batch {
                do {
                    try await send(channel, payloads.sorted())
                } catch {
                    // Kept for the next round (a busy pool, a database restarting); listeners
                    // meanwhile fall back on their poll interval.
                    failed = true
                    state.withLock { $0.pending[channel, default: []].formUnion(payloads) }
                    logger.debug("notification not sent yet", metadata: ["channel": .string(channel)])
                }
            }
            if failed { try? await Task.sleep(for: .milliseconds(250)) }
        }
        let waiter = state.withLock { state in
            state.stopped = true
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume()
    }

    private func nextAnnouncement() async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if !state.pending.isEmpty || state.stopped { return true }
                    state.waiter = continuation
                    return false
                }
                if now { continuation.resume() }
            }
        } onCancel: {
            let waiter = state.withLock { state in
                state.stopped = true
                defer { state.waiter = nil }
                return state.waiter
            }
            waiter?.resume()
        }
    }
}
