import Synchronization

/// Cancels `task` and waits for it to end, but at most `limit`. A service that does not answer
/// cancellation in some state (a pool caught reconnecting, a server draining) then costs a test
/// a few seconds instead of hanging the whole run.
public func cancelAndSettle<T: Sendable>(_ task: Task<T, any Error>, within limit: Duration = .seconds(5)) async {
    task.cancel()
    let finished = Flag()
    Task {
        _ = try? await task.value
        finished.set()
    }
    let deadline = ContinuousClock.now + limit
    while !finished.isSet && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(5)) }
}

final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}
