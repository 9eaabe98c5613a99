import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

/// Idempotency-Key on `POST /v1/reports` (IETF draft semantics).
@Suite struct IdempotencyTests {
    func post(
        _ client: any TestClientProtocol,
        _ headers: HTTPFields,
        key: String,
        body: String = ReportIntakeTests.flyTipping
    )
        async throws -> (HTTPResponse.Status, [String: Any])
    {
        try await ReportIntakeTests.post(client, headers.merging([.idempotencyKey: key]), body)
    }

    @Test func aRetryReplaysTheFirstResponseAndStoresOneReport() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (first, original) = try await post(client, auth, key: "c0ffee-1")
            let (again, replay) = try await post(client, auth, key: "\"c0ffee-1\"")
            #expect(first == .created && again == .created)
            #expect(replay["id"] as? String == original["id"] as? String)
            #expect(replay["tracking_token"] as? String == original["tracking_token"] as? String)
            #expect(replay["reference"] as? String == original["reference"] as? String)
            #expect(try await ReportIntakeTests.count(testDB, "reports") == 1)
            #expect(try await ReportIntakeTests.count(testDB, "dispatch_jobs") == 1)

            // Keys belong to their client: another app's identical key is a new request.
            let (_, other) = try await post(client, try await bearer(testDB, role: .client), key: "c0ffee-1")
            #expect(other["id"] as? String != original["id"] as? String)
        }
    }

    @Test func theSameKeyWithAnotherBodyIs422() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            _ = try await post(client, auth, key: "k-2")
            let changed = ReportIntakeTests.flyTipping.replacingOccurrences(of: "six bags", with: "seven bags")
            let (status, problem) = try await post(client, auth, key: "k-2", body: changed)
            #expect(status == .unprocessableContent)
            #expect(problem["code"] as? String == "idempotency_key_reused")
            #expect(try await ReportIntakeTests.count(testDB, "reports") == 1)
        }
    }

    @Test func aKeyWhoseFirstRequestIsStillRunningIs409UntilItsLeaseLapses() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            // Another process has claimed the key and not answered yet.
            let first = try await post(client, auth, key: "k-3")
            #expect(first.0 == .created)
            try await testDB.execute(
                "UPDATE idempotency_keys SET response_status = NULL, response_body = NULL, locked_until = now() + interval '1 minute'"
            )
            let (status, problem) = try await post(client, auth, key: "k-3")
            #expect(status == .conflict)
            #expect(problem["code"] as? String == "idempotency_request_in_progress")

            // That process died: once its lease lapses, a retry does the work.
            try await testDB.execute("UPDATE idempotency_keys SET locked_until = now() - interval '1 second'")
            let (retried, _) = try await post(client, auth, key: "k-3")
            #expect(retried == .created)
        }
    }

    @Test func aRefusedRequestDoesNotUseUpItsKey() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let invalid = ReportIntakeTests.flyTipping.replacingOccurrences(of: #""household""#, with: #""spaceship""#)
            #expect(try await post(client, auth, key: "k-4", body: invalid).0 == .unprocessableContent)
            #expect(try await post(client, auth, key: "k-4").0 == .created)
        }
    }

    @Test func keysOlderThan48HoursAreForgotten() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (_, first) = try await post(client, auth, key: "k-5")
            try await testDB.execute("UPDATE idempotency_keys SET created_at = now() - interval '49 hours'")
            let (status, second) = try await post(client, auth, key: "k-5")
            #expect(status == .created)
            #expect(second["id"] as? String != first["id"] as? String)
        }
    }

    @Test(arguments: ["", String(repeating: "k", count: 256)])
    func malformedKeysAre400(key: String) async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let (status, problem) = try await post(client, try await bearer(testDB, role: .client), key: key)
            #expect(status == .badRequest)
            #expect(problem["code"] as? String == "invalid_idempotency_key")
        }
    }
}

/// What a reader of the database alone learns from idempotency records: nothing.
@Suite struct SealedIdempotencyTests {
    static func rows(_ testDB: TestDatabase) async throws -> [(key: String, hash: [UInt8], body: [UInt8], sealed: Bool)] {
        try await testDB.withDatabase(poolSize: 1) { database in
            try await database.withConnection { connection in
                let rows = try await connection.query(
                    "SELECT key, request_hash, response_body, sealed FROM idempotency_keys",
                    logger: .quiet
                )
                var found: [(String, [UInt8], [UInt8], Bool)] = []
                for try await (key, hash, body, sealed) in rows.decode((String, Data, Data?, Bool).self) {
                    found.append((key, Array(hash), Array(body ?? Data()), sealed))
                }
                return found.map { (key: $0.0, hash: $0.1, body: $0.2, sealed: $0.3) }
            }
        }
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard haystack.count >= bytes.count else { return false }
        return (0...(haystack.count - bytes.count)).contains { haystack[$0..<($0 + bytes.count)].elementsEqual(bytes) }
    }

    @Test func theStoredAnswerHidesTheTokenAndTheContactAndStillReplays() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let key = "5b3f0d1e-report-secret"
            let (status, created) = try await ReportIntakeTests.post(client, auth.merging([.idempotencyKey: key]), ReportIntakeTests.flyTipping)
            #expect(status == .created)
            let token = try #require(created["tracking_token"] as? String)

            let rows = try await Self.rows(testDB)
            try #require(rows.count == 1)
            let row = rows[0]
            #expect(row.sealed)
            #expect(row.key != key && !row.key.contains("secret"), "the raw key is not stored")
            for secret in [token, "eleanor@example.org", "Eleanor Bold", "01632 960123", "tracking_token"] {
                #expect(!Self.contains(row.body, secret), "\(secret) is readable in the stored answer")
            }

            let (again, replay) = try await ReportIntakeTests.post(client, auth.merging([.idempotencyKey: key]), ReportIntakeTests.flyTipping)
            #expect(again == .created)
            #expect(replay["tracking_token"] as? String == token)
            #expect(replay["id"] as? String == created["id"] as? String)
        }
    }

    @Test func erasingTheReporterRemovesTheRecordOfTheirReport() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (_, created) = try await ReportIntakeTests.post(client, auth.merging([.idempotencyKey: "erase-me"]), ReportIntakeTests.flyTipping)
            let (_, other) = try await ReportIntakeTests.post(client, auth.merging([.idempotencyKey: "keep-me"]), ReportIntakeTests.flyTipping)
            #expect(try await Self.rows(testDB).count == 2)
            let id = try #require(created["id"] as? String)
            try await client.execute(
                uri: "/v1/reports/\(id)/reporter",
                method: .delete,
                headers: try await bearer(testDB, role: .admin)
            ) { #expect($0.status == .noContent) }
            #expect(try await Self.rows(testDB).count == 1, "only the other report's record stays")
            #expect(other["id"] != nil)
        }
    }
}
