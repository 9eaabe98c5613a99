import Foundation
import Testing

@testable import IntakeCore

/// The pure rules of dispatch: signing, retry timing, outcome decisions, Open311 forms.
@Suite struct DispatchRuleTests {
    /// The test vector of the Standard Webhooks reference libraries (checked against the
    /// `standardwebhooks` Python package).
    @Test func signaturesMatchTheStandardWebhooksReference() {
        let header = WebhookSignature.header(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek",
            timestamp: 1_614_265_330,
            body: Array(#"{"test": 2432232314}"#.utf8),
            secrets: ["whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"]
        )
        #expect(header == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func duringRotationTheHeaderCarriesOneSignaturePerSecret() {
        let secrets = [WebhookSignature.generateSecret(), WebhookSignature.generateSecret()]
        let header = WebhookSignature.header(id: "m", timestamp: 1, body: [], secrets: secrets)
        #expect(header.split(separator: " ").count == 2)
        #expect(header.split(separator: " ").allSatisfy { $0.hasPrefix("v1,") })
        #expect(WebhookSignature.key(of: secrets[0])?.count == 32)
    }

    @Test func theStandardScheduleSpansAboutThreeDaysInTenAttempts() {
        let schedule = RetrySchedule.standard
        #expect(schedule.maxAttempts == 10)
        #expect(schedule.span > 2.9 * 86_400 && schedule.span < 3.5 * 86_400)
        for attempt in 1...12 {
            let base = schedule.delays[min(attempt, schedule.delays.count) - 1]
            for _ in 0..<50 {
                let delay = schedule.delay(afterAttempt: attempt)
                #expect(delay >= base * 0.8 && delay <= base * 1.2)
            }
        }
    }

    @Test func retryAfterAndSlowDownsStretchTheWait() {
        let schedule = RetrySchedule.standard
        #expect(schedule.delay(afterAttempt: 1, retryAfter: 120) == 120)
        #expect(schedule.delay(afterAttempt: 1, retryAfter: 10 * 86_400) == 86_400)
        #expect(schedule.delay(afterAttempt: 1, slowDown: true) >= 60)
        // Never sooner than the schedule, whatever the receiver says.
        #expect(schedule.delay(afterAttempt: 3, retryAfter: 1) >= 1800 * 0.8)
        #expect(DeliveryResult.retryAfter("30") == 30)
        let date = Date(timeIntervalSince1970: 1_000_000)
        #expect(DeliveryResult.retryAfter("Mon, 12 Jan 1970 13:46:40 GMT", now: date) == 0)
        #expect(DeliveryResult.retryAfter("Mon, 12 Jan 1970 13:48:40 GMT", now: date) == 120)
        #expect(DeliveryResult.retryAfter("soon") == nil)
    }

    @Test func outcomesFollowTheAnswer() {
        var random = SystemRandomNumberGenerator()
        func decide(_ result: DeliveryResult, attempt: Int = 1, max: Int = 10) -> DeliveryOutcome {
            DeliveryOutcome.decide(result, attempt: attempt, maxAttempts: max, schedule: .standard, using: &random)
        }
        #expect(decide(.init(statusCode: 204, durationMilliseconds: 5)).kind == .delivered)
        #expect(decide(.init(statusCode: 410, durationMilliseconds: 5)).kind == .gone)
        #expect(decide(.init(statusCode: 500, durationMilliseconds: 5)).kind == .retry)
        #expect(decide(.init(statusCode: 500, durationMilliseconds: 5), attempt: 10).kind == .dead)
        #expect(decide(.init(statusCode: nil, error: "refused", durationMilliseconds: 5)).error == "refused")
        let timeout = decide(.init(statusCode: nil, error: "slow", timedOut: true, durationMilliseconds: 5))
        #expect(timeout.kind == .retry && timeout.delaySeconds >= 60)
        let token = DeliveryResult(
            statusCode: 200,
            durationMilliseconds: 5,
            answer: .init(serviceRequestID: nil, token: "t1")
        )
        #expect(decide(token).kind == .awaitingToken)
        #expect(decide(token, attempt: 10).kind == .dead)
        // A 2xx with a problem noted by the sender (no id in an Open311 answer) is a failure.
        #expect(decide(.init(statusCode: 200, error: "no id", durationMilliseconds: 5)).kind == .retry)
    }

    @Test func open311AnswersAreReadFromXMLOrJSON() {
        let xml =
            #"<?xml version="1.0" encoding="utf-8"?><service_requests><request><service_request_id>A&amp;B/1</service_request_id></request></service_requests>"#
        #expect(Open311Outbound.parseAnswer(xml) == .init(serviceRequestID: "A&B/1", token: nil))
        #expect(Open311Outbound.parseAnswer(#"[{"token": "abc"}]"#) == .init(serviceRequestID: nil, token: "abc"))
        #expect(Open311Outbound.parseAnswer(#"[{"service_request_id": 4213}]"#) == .init(serviceRequestID: "4213", token: nil))
        #expect(Open311Outbound.parseAnswer("<errors/>") == .init(serviceRequestID: nil, token: nil))
    }

    @Test func open311FormsAreEncodedAsFixMyStreetSendsThem() {
        let form: Open311Outbound.Form = [("description", "Line one\nLine & two"), ("attribute[size][]", "a b")]
        #expect(Open311Outbound.encode(form) == "description=Line%20one%0ALine%20%26%20two&attribute%5Bsize%5D%5B%5D=a%20b")
        #expect(Open311Outbound.url("https://x.example/open311/v2", "requests.xml") == "https://x.example/open311/v2/requests.xml")
        #expect(Open311Outbound.url("https://x.example/open311/v2/", "requests.xml") == "https://x.example/open311/v2/requests.xml")
        let contact = Open311Outbound.contact(ReporterContact(name: "Mary Anne Bold", email: "m@example.org"))
        #expect(contact.map(\.value) == ["Mary", "Anne Bold", "m@example.org"])
        #expect(Open311Outbound.contact(nil, defaultName: "-").map(\.value) == ["-", "-"])
    }

    @Test func destinationsCheckTheirURLs() {
        #expect(throws: ValidationFailure.self) {
            try DestinationDefinition(name: "a", kind: .webhook, url: "http://x.example").validate(allowHTTP: false)
        }
        #expect(throws: Never.self) { try DestinationDefinition(name: "a", kind: .webhook, url: "http://x.example").validate(allowHTTP: true) }
        #expect(throws: ValidationFailure.self) {
            try DestinationDefinition(name: "a", kind: .webhook, url: "ftp://x.example").validate(allowHTTP: true)
        }
        #expect(throws: Never.self) { try DestinationDefinition(name: "crm-2", kind: .open311, url: "https://x.example/").validate(allowHTTP: false) }
    }
}
