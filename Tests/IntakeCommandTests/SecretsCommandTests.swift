import Foundation
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import Testing

/// SECRETS_KEY from an operator's side: start-up refusals, sealing what an older version left
/// in plain text, rotation, and the audit entries of `intake keys`.
@Suite struct SecretsCommandTests {
    /// A database with a webhook destination whose secret is sealed under the tests' key.
    static func withSealedSecret(_ body: @Sendable (TestDatabase) async throws -> Void) async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 2) { database in
                try await DispatchFixtures.seed(database)
                _ = try await DispatchFixtures.barchesterDestination(database, kind: .webhook, url: "https://crm.example/hooks")
            }
            try await body(testDB)
        }
    }

    static func values(_ testDB: TestDatabase) async throws -> [String] {
        try await StoredSecrets.values(testDB)
    }

    @Test func startUpRefusesWithoutTheKeyThatSealedTheSecrets() async throws {
        try await Self.withSealedSecret { testDB in
            for command in ["serve", "worker", "dev"] {
                let missing = try await IntakeProcess.run(
                    [command],
                    environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0", "SECRETS_KEY": ""]
                )
                #expect(missing.status == 78, "\(command): \(missing.stderr)")
                #expect(missing.stderr.contains("need SECRETS_KEY"), "\(command): \(missing.stderr)")
            }
            let other = SecretKeyring.Key.generateEncoded()
            let wrong = try await IntakeProcess.run(
                ["serve"],
                environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0", "SECRETS_KEY": other]
            )
            #expect(wrong.status == 78)
            #expect(wrong.stderr.contains("sealed under key \(TestSecrets.keyring.current!.id)"))
            #expect(!wrong.stderr.contains(other) && !wrong.stderr.contains(TestSecrets.keyText))
        }
    }

    @Test func plainTextLeftByAnOlderVersionIsSealedAtStartUp() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            try await testDB.execute(
                """
                INSERT INTO destinations (council_id, name, kind, url, secret)
                SELECT id, 'old-hook', 'webhook', 'https://crm.example/old', 'whsec_plainOLDsecret' FROM councils WHERE slug = 'barchester'
                """
            )
            try await testDB.execute("UPDATE council_payment_settings SET webhook_secret = 'plain-pay-secret-0123456789'")
            let server = try IntakeProcess(["serve"], environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0"])
            let listening = await server.waitForLine(containing: "listening", timeout: .seconds(30))
            server.signal(SIGTERM)
            _ = await server.waitForExit(timeout: .seconds(15))
            #expect(listening != nil, "\(server.stderr)")
            #expect(server.stdout.contains("sealed stored secrets that were in plain text"))
            let stored = try await Self.values(testDB)
            #expect(!stored.isEmpty)
            #expect(stored.allSatisfy { $0.hasPrefix("sealed:v1:\(TestSecrets.keyring.current!.id):") })
            #expect(!stored.joined().contains("plainOLDsecret") && !stored.joined().contains("plain-pay-secret"))
            // …and the sealed value is the same secret.
            let opened = try await testDB.withDatabase(poolSize: 1) { database in
                try await DestinationStore(database: database, logger: .quiet).list(
                    councilID: try await CouncilStore(database: database, logger: .quiet).find(slug: "barchester")!.id
                ).first { $0.name == "old-hook" }?.secret
            }
            #expect(opened == "whsec_plainOLDsecret")
        }
    }

    @Test func aRotationReSealsEverySecretUnderTheNewKey() async throws {
        try await Self.withSealedSecret { testDB in
            let newKey = SecretKeyring.Key.generateEncoded()
            let newID = SecretKeyring.Key(encoded: newKey)!.id
            let before = try await Self.values(testDB)
            let rotated = try await IntakeProcess.run(
                ["secrets", "rotate"],
                environment: ["DATABASE_URL": testDB.settings.url, "SECRETS_KEY": newKey, "SECRETS_KEY_PREVIOUS": TestSecrets.keyText]
            )
            #expect(rotated.status == 0, "\(rotated.stderr)")
            #expect(rotated.stdout.contains("re-sealed \(before.count) stored secrets under \(newID)"))
            let after = try await Self.values(testDB)
            #expect(after.count == before.count)
            #expect(after.allSatisfy { $0.hasPrefix("sealed:v1:\(newID):") })
            let status = try await IntakeProcess.run(
                ["secrets", "status"],
                environment: ["DATABASE_URL": testDB.settings.url, "SECRETS_KEY": newKey]
            )
            #expect(status.stdout.contains("\(after.count) sealed under \(newID) (SECRETS_KEY)"))
            // The old key alone no longer opens them; the new one alone does.
            let old = try await IntakeProcess.run(["serve"], environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0"])
            #expect(old.status == 78)
            let server = try IntakeProcess(["serve"], environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0", "SECRETS_KEY": newKey])
            let listening = await server.waitForLine(containing: "listening", timeout: .seconds(30))
            server.signal(SIGTERM)
            _ = await server.waitForExit(timeout: .seconds(15))
            #expect(listening != nil, "\(server.stderr)")
        }
    }

    @Test func generateKeyPrintsAUsableKey() async throws {
        let result = try await IntakeProcess.run(["secrets", "generate-key"], environment: [:])
        #expect(result.status == 0)
        let key = result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(SecretKeyring.Key(encoded: key) != nil)
    }

    @Test func keysMadeAtTheCommandLineAreAudited() async throws {
        try await withTestDatabase { testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let created = try await IntakeProcess.run(
                ["keys", "create", "--role", "backoffice", "--council", "barchester", "--label", "crm"],
                environment: ["DATABASE_URL": testDB.settings.url]
            )
            #expect(created.status == 0, "\(created.stderr)")
            let token = try #require(created.stdout.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
            let prefix = token.split(separator: "_").prefix(2).joined(separator: "_")
            let revoked = try await IntakeProcess.run(["keys", "revoke", prefix], environment: ["DATABASE_URL": testDB.settings.url])
            #expect(revoked.status == 0)
            let events = try await testDB.withDatabase(poolSize: 1) { database in
                try await AuditStore(database: database, logger: .quiet).list(.init(actorPrefix: "cli"), limit: 10, before: nil)
            }
            #expect(events.map(\.action) == ["api_key.revoke", "api_key.create"])
            #expect(events.allSatisfy { $0.actor.role == "operator" && $0.status != nil && $0.completedAt != nil })
            #expect(events.last?.councilSlug == "barchester")
            #expect(events.last?.changes.contains(prefix) == true)
            #expect(events.last?.changes.contains(token) == false)
            #expect(events.first?.target["prefix"] == prefix)
        }
    }
}
