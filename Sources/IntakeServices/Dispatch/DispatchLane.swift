import Foundation
import IntakeCore
import IntakeStorage
import Synchronization

/// The calls one worker lane has in flight. A pass claims only as many jobs as the lane has
/// free slots and hands their calls over; the lane runs them beside its next passes, so a call
/// that hangs until its timeout holds one slot, not the lane. A slot is free again once its call
/// ends; a lane with a batch's worth of outcomes not yet recorded (its database is away, say)
/// stops claiming instead of piling up deliveries it has not written down.
public final class DispatchLane: Sendable {
    typealias Call = @Sendable () async -> Void
    typealias Outcomes = (completions: [PushQueue.Completion], destinations: [UUID: Destination])

    private struct State {
        /// Calls under way, in all and per destination.
        var total = 0
        var inFlight: [UUID: Int] = [:]
        var handedOver: [Call] = []
        var unrecorded: [PushQueue.Completion] = []
        var unrecordedDestinations: [UUID: Destination] = [:]
        var recording = false
        /// Outcomes queued or being recorded.
        var notRecorded = 0
    }

    private let state = Mutex(State())
    /// Rung when slots are freed: a lane waiting for work claims again (the job just recorded
    /// may also have held back the next message of its case).
    let freed = Doorbell()

    /// How many of `slots` are free, and the calls under way per destination. (Counting only a
    /// destination's slow calls against its share was tried: its young hanging calls then filled
    /// the lane, and the storm drill failed.)
    func load(of slots: Int) -> (free: Int, inFlight: [UUID: Int]) {
        state.withLock { state in (state.notRecorded >= slots ? 0 : max(slots - state.total, 0), state.inFlight) }
    }

    /// Takes a claimed job's call; its slot is held from now until its outcome is recorded.
    func handOver(destinationID: UUID, _ call: @escaping Call) {
        state.withLock { state in
            state.total += 1
            state.inFlight[destinationID, default: 0] += 1
            state.handedOver.append(call)
        }
    }

    /// Starts the calls handed over since the last time, as children of the lane's task group,
    /// which outlives the pass that claimed them.
    func startCalls(in group: inout DiscardingTaskGroup) {
        let calls = state.withLock { state in
            defer { state.handedOver = [] }
            return state.handedOver
        }
        for call in calls {
            group.addTask { await call() }
        }
    }

    /// Queues a finished attempt for recording. Returns whether the caller is to record it;
    /// false while another task records, which takes this outcome into its next statement.
    func queueForRecording(_ completion: PushQueue.Completion, destination: Destination?) -> Bool {
        defer { freed.ring() }
        return state.withLock { state -> Bool in
            let destinationID = completion.job.destinationID
            state.total -= 1
            state.inFlight[destinationID, default: 1] -= 1
            if state.inFlight[destinationID] == 0 { state.inFlight[destinationID] = nil }
            state.notRecorded += 1
            state.unrecorded.append(completion)
            if let destination { state.unrecordedDestinations[destination.id] = destination }
            guard !state.recording else { return false }
            state.recording = true
            return true
        }
    }

    /// The outcomes queued since the last call, or nil when there are none; then the recording
    /// task stops and the next outcome to finish starts another.
    func nextToRecord() -> Outcomes? {
        state.withLock { state -> Outcomes? in
            guard !state.unrecorded.isEmpty else {
                state.recording = false
                return nil
            }
            defer {
                state.unrecorded = []
                state.unrecordedDestinations = [:]
            }
            return (state.unrecorded, state.unrecordedDestinations)
        }
    }

    /// `completions` are recorded or given up on.
    func release(_ completions: [PushQueue.Completion]) {
        state.withLock { state in state.notRecorded -= completions.count }
        freed.ring()
    }
}
