import Foundation
import Synchronization

/// Wakes waiters when something may have arrived. A waiter notes the generation, looks for work,
/// and if it found none waits for a ring after that generation (or a timeout), so a ring that
/// comes between looking and waiting is never missed.
public final class Doorbell: Sendable {
    private struct State {
        var generation: UInt64 = 0
        var waiters: [UUID: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    public var generation: UInt64 { state.withLock { $0.generation } }

    public func ring() {
        let waiters = state.withLock { state in
            state.generation &+= 1
            defer { state.waiters = [:] }
            return state.waiters
        }
        for waiter in waiters.values { waiter.resume() }
    }

    /// Returns after a ring later than `generation`, after `timeout`, or on cancellation.
    public func wait(after generation: UInt64, timeout: Duration) async {
        let id = UUID()
        await withTaskGroup(of: Void.self) { group in
            group.addTask { try? await Task.sleep(for: timeout) }
            group.addTask { await self.waitForRing(id: id, after: generation) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing(id: UUID, after generation: UInt64) async {
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { state in
                    if state.generation != generation || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            state.withLock { $0.waiters.removeValue(forKey: id) }?.resume()
        }
    }
}

/// One doorbell per destination (rung by notifications naming it) and one for any job at all.
public final class DispatchSignals: Sendable {
    public let any = Doorbell()
    private let bells = Mutex<[UUID: Doorbell]>([:])

    public init() {}

    public func bell(for destinationID: UUID) -> Doorbell {
        bells.withLock { bells in
            if let bell = bells[destinationID] { return bell }
            let bell = Doorbell()
            bells[destinationID] = bell
            return bell
        }
    }

    /// What `DispatchListener` hears: a job's destination id, empty for a job with none yet, or
    /// nil after a gap in listening (any job may have come: every waiter checks).
    public func ring(payload: String?) {
        guard let payload else { return any.ring() }
        if let id = UUID(uuidString: payload) {
            let bell = bells.withLock { $0[id] }
            bell?.ring()
        }
        any.ring()
    }
}
