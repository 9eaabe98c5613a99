import Foundation
import IntakeCore
import Testing

/// Sealing stored secrets: what a reader of the database sees, and what opens them again.
@Suite struct SecretKeyringTests {
    static let a = SecretKeyring.Key(encoded: SecretKeyring.Key.generateEncoded())!
    static let b = SecretKeyring.Key(encoded: SecretKeyring.Key.generateEncoded())!

    @Test func aSealedSecretHidesItsValueAndOpensOnlyForItsPurpose() throws {
        let keyring = SecretKeyring(current: Self.a)
        let sealed = try keyring.seal("whsec_abcdefghijklmnop", purpose: "destinations.secret")
        #expect(sealed.hasPrefix("sealed:v1:\(Self.a.id):"))
        #expect(!sealed.contains("abcdefghijklmnop"))
        #expect(try keyring.open(sealed, purpose: "destinations.secret") == "whsec_abcdefghijklmnop")
        // Copied into another column, it does not open.
        #expect(throws: SecretKeyring.Failure.unreadable) { try keyring.open(sealed, purpose: "council_payment_settings.webhook_secret") }
        // Two seals of one value differ (a fresh nonce each time).
        #expect(try keyring.seal("same", purpose: "p") != keyring.seal("same", purpose: "p"))
    }

    @Test func anAlteredValueDoesNotOpen() throws {
        let keyring = SecretKeyring(current: Self.a)
        var sealed = Array(try keyring.seal("api-key-123", purpose: "p"))
        let last = sealed.count - 3
        sealed[last] = sealed[last] == "A" ? "B" : "A"
        #expect(throws: SecretKeyring.Failure.unreadable) { try keyring.open(String(sealed), purpose: "p") }
        #expect(throws: SecretKeyring.Failure.unreadable) { try keyring.open("plain text", purpose: "p") }
    }

    @Test func aRotationOpensWithThePreviousKeyAndSealsWithTheNew() throws {
        let old = try SecretKeyring(current: Self.a).seal("secret", purpose: "p")
        let rotating = SecretKeyring(current: Self.b, previous: [Self.a])
        #expect(try rotating.open(old, purpose: "p") == "secret")
        #expect(SecretKeyring.keyID(of: try rotating.seal("secret", purpose: "p")) == Self.b.id)
        #expect(throws: SecretKeyring.Failure.unknownKey(Self.a.id)) { try SecretKeyring(current: Self.b).open(old, purpose: "p") }
        #expect(throws: SecretKeyring.Failure.keyMissing) { try SecretKeyring.none.seal("x", purpose: "p") }
    }

    @Test func keysAreThirtyTwoBytesInBase64OrHex() {
        #expect(SecretKeyring.Key(encoded: String(repeating: "ab", count: 32)) != nil)
        #expect(SecretKeyring.Key(encoded: Data(repeating: 7, count: 32).base64EncodedString()) != nil)
        #expect(SecretKeyring.Key(encoded: Data(repeating: 7, count: 16).base64EncodedString()) == nil)
        #expect(SecretKeyring.Key(encoded: "not a key") == nil)
        #expect(Data(base64Encoded: SecretKeyring.Key.generateEncoded())?.count == 32)
    }

    @Test func settingsRefuseABadKeyWithoutEchoingIt() throws {
        let source = SettingsSource(environment: ["DATABASE_URL": "postgres://x@127.0.0.1:1/x", "SECRETS_KEY": "hunter2-hunter2"])
        do {
            _ = try IntakeConfig.load(from: source)
            Issue.record("a bad SECRETS_KEY was accepted")
        } catch {
            #expect("\(error)".contains("SECRETS_KEY"))
            #expect(!"\(error)".contains("hunter2"))
        }
        let previousOnly = SettingsSource(
            environment: ["DATABASE_URL": "postgres://x@127.0.0.1:1/x", "SECRETS_KEY_PREVIOUS": SecretKeyring.Key.generateEncoded()])
        #expect(throws: ConfigError.self) { try IntakeConfig.load(from: previousOnly) }
    }
}

/// The quotas' arithmetic (a generic cell rate algorithm).
@Suite struct RateLimiterTests {
    @Test func aCallerGetsItsQuotaThenWaitsForOneToComeBack() {
        let limiter = RateLimiter(policy: RateLimitPolicy(name: "writes", quota: 3, windowSeconds: 60))
        let first = limiter.take("k", now: 100)
        #expect(first.allowed && first.remaining == 2)
        #expect(limiter.take("k", now: 100).remaining == 1)
        #expect(limiter.take("k", now: 100).remaining == 0)
        let refused = limiter.take("k", now: 100)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 20)  // one request per 60/3 s comes back
        #expect(refused.header(limiter.policy) == #""writes";r=0;t=60"#)
        #expect(limiter.policy.header == #""writes";q=3;w=60"#)
        // Another caller has its own quota.
        #expect(limiter.take("other", now: 100).allowed)
        // 20 s later, one more; not two.
        #expect(limiter.take("k", now: 120).allowed)
        #expect(!limiter.take("k", now: 120).allowed)
        // After a whole window, the whole quota again.
        #expect(limiter.take("k", now: 200).remaining == 2)
    }

    @Test func refusedRequestsDoNotCount() {
        let limiter = RateLimiter(policy: RateLimitPolicy(name: "reads", quota: 1, windowSeconds: 10))
        #expect(limiter.take("ip", now: 0).allowed)
        for _ in 0..<50 { #expect(!limiter.take("ip", now: 1).allowed) }
        #expect(limiter.take("ip", now: 10).allowed)
    }
}

/// What the audit log keeps of a request body.
@Suite struct AuditRedactionTests {
    @Test func secretsAreRedactedWhereverTheyAre() throws {
        let body = Data(
            #"{"provider": "govuk_pay", "api_key": "api_test_123", "webhook_secret": "whsec_x", "nested": {"open311_api_key": "k1"}, "label": "crm"}"#
                .utf8
        )
        let kept = AuditRedaction.changes(body: body, contentType: "application/json")
        #expect(!kept.contains("api_test_123") && !kept.contains("whsec_x") && !kept.contains("k1"))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(kept.utf8)) as? [String: Any])
        #expect(object["api_key"] as? String == "[redacted]")
        #expect(object["provider"] as? String == "govuk_pay")
        #expect(object["label"] as? String == "crm")
        #expect((object["nested"] as? [String: Any])?["open311_api_key"] as? String == "[redacted]")
    }

    @Test func longValuesAreShortenedButNoFieldIsDropped() throws {
        // Padding a change cannot hide the field that matters.
        let padded = Data(
            (#"{"padding": ""# + String(repeating: "x", count: 40_000) + #"", "url": "https://evil.example/hook", "points": ["#
                + (0..<100).map(String.init).joined(separator: ",") + "]}").utf8
        )
        let kept = AuditRedaction.changes(body: padded, contentType: "application/json")
        #expect(kept.count < 2_000)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(kept.utf8)) as? [String: Any])
        #expect(object["url"] as? String == "https://evil.example/hook")
        #expect((object["padding"] as? String)?.hasSuffix("… (40000 characters)") == true)
        let points = try #require(object["points"] as? [Any])
        #expect(points.count == 21)
        #expect(points.last as? String == "… (100 items)")
        #expect(AuditRedaction.changes(body: Data("a=b".utf8), contentType: "application/x-www-form-urlencoded") == #"{"body_bytes":3}"#)
        #expect(AuditRedaction.changes(body: Data(), contentType: nil) == "{}")
    }
}
