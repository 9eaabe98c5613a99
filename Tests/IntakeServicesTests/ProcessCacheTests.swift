import Synchronization
import Testing

@testable import IntakeServices

/// The per-process cache behind API keys and the routing catalogue.
@Suite struct ProcessCacheTests {
    final class Loads: Sendable {
        let count = Mutex(0)
        func next() -> Int {
            count.withLock {
                $0 += 1
                return $0
            }
        }
        var total: Int { count.withLock { $0 } }
    }

    @Test func whileNotListeningEveryReadLoads() async throws {
        let cache = ProcessCache<String, Int>()
        let loads = Loads()
        for _ in 0..<3 { _ = try await cache.value(for: "k") { loads.next() } }
        #expect(loads.total == 3, "no notifications, no trust: nothing may be served from memory")
    }

    @Test func whileListeningAValueIsLoadedOnceUntilInvalidated() async throws {
        let cache = ProcessCache<String, Int>()
        cache.setLive(true)
        let loads = Loads()
        #expect(try await cache.value(for: "k") { loads.next() } == 1)
        #expect(try await cache.value(for: "k") { loads.next() } == 1)
        cache.invalidate()
        #expect(try await cache.value(for: "k") { loads.next() } == 2)
        cache.setLive(false)
        #expect(try await cache.value(for: "k") { loads.next() } == 3, "losing the listener forgets everything")
        #expect(try await cache.value(for: "k") { loads.next() } == 4)
    }

    @Test func aValueLoadedAcrossAnInvalidationIsNotKept() async throws {
        let cache = ProcessCache<String, Int>()
        cache.setLive(true)
        let loads = Loads()
        // The change lands while the (old) row is being read: what was read must not stay.
        let stale = try await cache.value(for: "k") {
            cache.invalidate()
            return loads.next()
        }
        #expect(stale == 1)
        #expect(try await cache.value(for: "k") { loads.next() } == 2)
        #expect(try await cache.value(for: "k") { loads.next() } == 2)
    }

    @Test func missingKeysAreLoadedTogetherAndCachedOnesAreNotAskedFor() async throws {
        let cache = ProcessCache<Int, String>()
        cache.setLive(true)
        _ = try await cache.values(for: [1, 2]) { keys in Dictionary(uniqueKeysWithValues: keys.map { ($0, "v\($0)") }) }
        let asked = Mutex<[Int]>([])
        let values = try await cache.values(for: [1, 2, 3]) { keys in
            asked.withLock { $0 = keys }
            return Dictionary(uniqueKeysWithValues: keys.map { ($0, "w\($0)") })
        }
        #expect(asked.withLock { $0 } == [3])
        #expect(values == [1: "v1", 2: "v2", 3: "w3"])
    }

    @Test func pastItsCapacityTheCacheStartsAgain() async throws {
        let cache = ProcessCache<Int, Int>(capacity: 2)
        cache.setLive(true)
        let loads = Loads()
        for key in [1, 2, 3] { _ = try await cache.value(for: key) { loads.next() } }
        _ = try await cache.value(for: 3) { loads.next() }
        #expect(loads.total == 3, "the newest entry is kept after the cache starts again")
    }
}

extension ProcessCacheTests {
    @Test func entriesExpireEvenWhileListening() async throws {
        let cache = ProcessCache<String, Int>(maxAge: .milliseconds(100))
        cache.setLive(true)
        let loads = Loads()
        #expect(try await cache.value(for: "k") { loads.next() } == 1)
        #expect(try await cache.value(for: "k") { loads.next() } == 1)
        try await Task.sleep(for: .milliseconds(150))
        #expect(try await cache.value(for: "k") { loads.next() } == 2, "a silent listener must not keep a value for ever")
    }
}
