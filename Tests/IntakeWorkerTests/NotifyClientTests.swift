import Foundation
import IntakeClients
import IntakeCore
import IntakeTestSupport
import Testing

/// The GOV.UK Notify client against a local fake that checks tokens and bodies as Notify does.
@Suite struct NotifyClientTests {
    static let template = "f33517ff-2a88-4f6e-b855-c550268ce08a"
    static let replyTo = "8e222534-7f05-4972-86e3-17c5d9f894e2"
    var key: NotifyAPIKey { NotifyAPIKey(parsing: FakeNotify.apiKey)! }

    static func withNotify(_ body: (FakeNotify, GovUKNotify) async throws -> Void) async throws {
        let fake = try await FakeNotify.start()
        do {
            try await body(fake, GovUKNotify(baseURL: fake.url))
            await fake.stop()
        } catch {
            await fake.stop()
            throw error
        }
    }

    @Test func anEmailReachesNotifyWithAValidTokenAndExactlyItsFields() async throws {
        try await Self.withNotify { fake, notify in
            let outcome = await notify.send(
                GovUKNotify.Email(
                    emailAddress: "resident@example.org",
                    templateID: Self.template,
                    personalisation: ["reference": "FT-000123", "status": "investigating"],
                    reference: "message-1",
                    emailReplyToID: Self.replyTo
                ),
                key: key
            )
            let sent = try #require(fake.notifications.first)
            #expect(outcome == .sent(notificationID: sent.id))
            #expect(sent.kind == "email")
            #expect(sent.body["email_address"] as? String == "resident@example.org")
            #expect(sent.body["template_id"] as? String == Self.template)
            #expect(sent.body["personalisation"] as? [String: String] == ["reference": "FT-000123", "status": "investigating"])
            #expect(sent.body["reference"] as? String == "message-1")
            #expect(sent.body["email_reply_to_id"] as? String == Self.replyTo)
        }
    }

    @Test func aTextGoesToTheSMSEndpointWithoutTheOptionalSender() async throws {
        try await Self.withNotify { fake, notify in
            let outcome = await notify.send(
                GovUKNotify.SMS(phoneNumber: "07700900123", templateID: Self.template, personalisation: [:], reference: "message-2"),
                key: key
            )
            guard case .sent = outcome else {
                Issue.record("not sent: \(outcome)")
                return
            }
            #expect(fake.notifications.map(\.kind) == ["sms"])
            #expect(fake.notifications.first?.body["sms_sender_id"] == nil)
        }
    }

    /// Notify refuses a token more than 30 s from its clock, so each request gets a new one.
    @Test func eachRequestHasAFreshToken() async throws {
        let old = GovUKNotify.token(for: key, now: Date().addingTimeInterval(-60))
        #expect(FakeNotify.authProblem("Bearer \(old)")?.contains("30 seconds") == true)
        #expect(FakeNotify.authProblem("Bearer \(GovUKNotify.token(for: key))") == nil)
        let wrongSecret = NotifyAPIKey(parsing: "k-\(FakeNotify.serviceID)-\(UUID().uuidString.lowercased())")!
        #expect(FakeNotify.authProblem("Bearer \(GovUKNotify.token(for: wrongSecret))")?.contains("signature") == true)
    }

    @Test func aKeyNotifyRefusesIsRefusedForGoodWithNotifysMessage() async throws {
        try await Self.withNotify { fake, notify in
            let wrong = NotifyAPIKey(parsing: "council-\(FakeNotify.serviceID)-\(UUID().uuidString.lowercased())")!
            let outcome = await notify.send(
                GovUKNotify.Email(emailAddress: "a@example.org", templateID: Self.template, personalisation: [:], reference: nil),
                key: wrong
            )
            #expect(outcome == .refused(status: 403, errors: ["AuthError: Invalid token: signature"]))
            #expect(fake.notifications.isEmpty)
        }
    }

    @Test func aBadRequestIsRefusedAndRateLimitsAndOutagesAreRetried() async throws {
        try await Self.withNotify { fake, notify in
            let badTemplate = await notify.send(
                GovUKNotify.Email(emailAddress: "a@example.org", templateID: "not-a-uuid", personalisation: [:], reference: nil),
                key: key
            )
            #expect(badTemplate == .refused(status: 400, errors: ["ValidationError: template_id is not a valid UUID"]))
            for status in [429, 500, 503] {
                fake.failWith.withLock { $0 = status }
                let outcome = await notify.send(
                    GovUKNotify.Email(emailAddress: "a@example.org", templateID: Self.template, personalisation: [:], reference: nil),
                    key: key
                )
                guard case .retryLater(let reason) = outcome else {
                    Issue.record("\(status) was not retried: \(outcome)")
                    continue
                }
                #expect(reason.contains("\(status)"))
            }
        }
    }

    @Test func nobodyAnsweringIsRetried() async throws {
        let outcome = await GovUKNotify(baseURL: "http://127.0.0.1:9", timeoutSeconds: 2).send(
            GovUKNotify.Email(emailAddress: "a@example.org", templateID: Self.template, personalisation: [:], reference: nil),
            key: key
        )
        guard case .retryLater = outcome else {
            Issue.record("not retried: \(outcome)")
            return
        }
    }

    @Test(arguments: [
        ("live-key-\(FakeNotify.serviceID)-\(FakeNotify.secret)", "live-key"),
        ("x-\(FakeNotify.serviceID)-\(FakeNotify.secret)", "x"),
    ])
    func keysAreReadFromTheEnd(_ text: String, _ name: String) throws {
        let key = try #require(NotifyAPIKey(parsing: text))
        #expect(key.name == name)
        #expect(key.serviceID == FakeNotify.serviceID)
        #expect(key.secret == FakeNotify.secret)
    }

    @Test(arguments: [
        "", FakeNotify.secret, "\(FakeNotify.serviceID)-\(FakeNotify.secret)", "name-\(FakeNotify.serviceID)\(FakeNotify.secret)",
        "name-not-a-uuid-at-all-but-36-chars-long-\(FakeNotify.secret)",
    ])
    func notKeys(_ text: String) {
        #expect(NotifyAPIKey(parsing: text) == nil)
    }
}
