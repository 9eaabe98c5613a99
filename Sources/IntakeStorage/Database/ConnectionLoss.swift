import Foundation
import NIOCore
import PostgresNIO
import Synchronization

/// Answers a database call when its connection closes under it, instead of never.
///
/// Why: postgres-nio writes each query to its channel without a write promise. A query sent on a
/// connection the server has just closed (PostgreSQL restarting: `FATAL 57P01` arrives between
/// two statements of a transaction) never reaches the connection's handler, so its result is
/// never completed and the caller waits for ever; found with `make drills` (the hung calls were
/// the statement after a transaction's first). SIGTERM then waited for those requests too.
///
/// One callback per connection on its `closeFuture` (not one per call: a connection lives for
/// many calls) fails every call still running on it when it closes.
final class ConnectionLossWatch: Sendable {
    private struct Entry {
        var nextToken = 0
        var waiters: [Int: @Sendable () -> Void] = [:]
    }

    private let entries = Mutex<[PostgresConnection.ID: Entry]>([:])

    /// Calls `onLoss` if `connection` closes before the returned token is ended.
    func watch(_ connection: PostgresConnection, onLoss: @escaping @Sendable () -> Void) -> Int {
        let (token, isNew) = entries.withLock { entries -> (Int, Bool) in
            let isNew = entries[connection.id] == nil
            var entry = entries[connection.id] ?? Entry()
            let token = entry.nextToken
            entry.nextToken += 1
            entry.waiters[token] = onLoss
            entries[connection.id] = entry
            return (token, isNew)
        }
        if isNew {
            let id = connection.id
            connection.closeFuture.whenComplete { [weak self] _ in
                let waiters = self?.entries.withLock { $0.removeValue(forKey: id)?.waiters.values.map { $0 } } ?? []
                for waiter in waiters { waiter() }
            }
        }
        return token
    }

    func end(_ token: Int, on connection: PostgresConnection) {
        entries.withLock { entries in
            _ = entries[connection.id]?.waiters.removeValue(forKey: token)
        }
    }
}

/// The first of a call's result and its connection's loss.
final class CallResult<T: Sendable>: Sendable {
    private struct State {
        var result: Result<T, any Error>?
        var waiter: CheckedContinuation<T, any Error>?
    }

    private let state = Mutex(State())

    func resolve(_ result: Result<T, any Error>) {
        let waiter = state.withLock { state -> CheckedContinuation<T, any Error>? in
            guard state.result == nil else { return nil }
            state.result = result
            defer { state.waiter = nil }
            return state.waiter
        }
        waiter?.resume(with: result)
    }

    var value: T {
        get async throws {
            try await withCheckedThrowingContinuation { continuation in
                let decided = state.withLock { state -> Result<T, any Error>? in
                    if let result = state.result { return result }
                    state.waiter = continuation
                    return nil
                }
                if let decided { continuation.resume(with: decided) }
            }
        }
    }
}
