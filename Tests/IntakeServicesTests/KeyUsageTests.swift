import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

@testable import IntakeServices

/// `last_used_at` is written in batches, yet never later than one interval after a use.
@Suite struct KeyUsageTests {
    @Test func aUseSoonAfterAFlushIsWrittenWhenTheIntervalIsUp() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 2) { database in
                let store = APIKeyStore(database: database, logger: .quiet)
                let key = try await store.create(role: .admin, councilSlug: nil, label: "t", expiresAt: nil)
                let usage = KeyUsage(store: store, interval: .milliseconds(400))
                func stamp() async throws -> Date? {
                    try await DispatchFixtures.scalar(
                        database,
                        "SELECT last_used_at FROM api_keys WHERE id = '\(key.id)'",
                        as: Date?.self
                    ) ?? nil
                }
                let first = Date(timeIntervalSince1970: 1_800_000_000)
                usage.record(key.id, at: first)
                // First sight: written at once.
                var written: Date?
                for _ in 0..<40 where written == nil {
                    try await Task.sleep(for: .milliseconds(25))
                    written = try await stamp()
                }
                #expect(written == first)
                // Within the interval: not written at once, but when it is up, with no further use.
                let second = first.addingTimeInterval(60)
                usage.record(key.id, at: second)
                try await Task.sleep(for: .milliseconds(100))
                #expect(try await stamp() == first)
                for _ in 0..<40 where try await stamp() != second { try await Task.sleep(for: .milliseconds(50)) }
                #expect(try await stamp() == second)
            }
        }
    }
}
