import Synchronization

/// A per-process copy of rows that change rarely (API keys, the routing catalogue), trusted only
/// while the process is listening for their change notifications.
///
/// `DispatchListener` calls `setLive(true)` once its LISTEN is in place and `setLive(false)` when
/// the connection goes; while not live every read goes to the database. A change notification
/// empties the cache. A value loaded across an invalidation is not kept (the generation moved),
/// so a load that raced a change never hides it. Entries also expire after `maxAge`: a backstop
/// for a listening connection that dies without the process noticing (no reset, no error).
public final class ProcessCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Entry {
        var value: Value
        var loadedAt: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var generation: UInt64 = 0
        var live = false
    }

    private let state = Mutex(State())
    /// Past this many entries the cache starts again (unknown keys are cached too).
    let capacity: Int
    let maxAge: Duration

    public init(capacity: Int = 10_000, maxAge: Duration = .seconds(30)) {
        self.capacity = capacity
        self.maxAge = maxAge
    }

    /// The cached values for `keys`, loading those it lacks in one call of `load` (which must
    /// answer for each key it is given).
    public func values(for keys: [Key], load: ([Key]) async throws -> [Key: Value]) async throws -> [Key: Value] {
        let now = ContinuousClock.now
        let (found, generation, live) = state.withLock { state -> ([Key: Value], UInt64, Bool) in
            guard state.live else { return ([:], state.generation, false) }
            var found: [Key: Value] = [:]
            for key in keys {
                if let entry = state.entries[key], now - entry.loadedAt < maxAge { found[key] = entry.value }
            }
            return (found, state.generation, true)
        }
        let missing = keys.filter { found[$0] == nil }
        if missing.isEmpty { return found }
        let loaded = try await load(missing)
        if live {
            state.withLock { state in
                guard state.live, state.generation == generation else { return }
                if state.entries.count + loaded.count > capacity { state.entries.removeAll(keepingCapacity: true) }
                for (key, value) in loaded { state.entries[key] = Entry(value: value, loadedAt: now) }
            }
        }
        return found.merging(loaded) { _, new in new }
    }

    /// The cached value for `key`, or what `load` answers (kept while live).
    public func value(for key: Key, load: () async throws -> Value) async throws -> Value {
        let values = try await values(for: [key]) { _ in [key: try await load()] }
        return values[key]!
    }

    /// Forgets everything: the rows changed.
    public func invalidate() {
        state.withLock { state in
            state.entries.removeAll(keepingCapacity: true)
            state.generation &+= 1
        }
    }

    /// Whether change notifications are arriving; either way, what was cached is forgotten.
    public func setLive(_ live: Bool) {
        state.withLock { state in
            state.live = live
            state.entries.removeAll(keepingCapacity: true)
            state.generation &+= 1
        }
    }
}
