import Foundation
import IntakeClients
import IntakeCore
import IntakeServices
import Testing

/// GOV.UK Pay's webhook signature and event format.
@Suite struct PaySignatureTests {
    @Test func signatureIsHexHMACOfTheRawBody() {
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        let body = Array("what do ya want for nothing?".utf8)
        #expect(PaySignature.sign(body, secret: "Jefe") == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(PaySignature.verify(body, signature: "5BDCC146BF60754E6A042426089575C75A003F089D2739839DEC58B964EC3843", secret: "Jefe"))
        #expect(!PaySignature.verify(body, signature: "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3842", secret: "Jefe"))
        #expect(!PaySignature.verify(body + [0x20], signature: PaySignature.sign(body, secret: "Jefe"), secret: "Jefe"))
        #expect(!PaySignature.verify(body, signature: nil, secret: "Jefe"))
        #expect(!PaySignature.verify(body, signature: "", secret: "Jefe"))
    }

    @Test func eventsRoundTripInGovUKPayShape() throws {
        let event = ProviderWebhookEvent(eventID: "msg-1", paymentReference: "pay-1", eventType: "card_payment_succeeded")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(event.body())) as? [String: Any])
        #expect(json["webhook_message_id"] as? String == "msg-1")
        #expect(json["resource_id"] as? String == "pay-1")
        #expect(json["resource_type"] as? String == "payment")
        #expect(ProviderWebhookEvent.parse(event.body()) == event)
        #expect(ProviderWebhookEvent.parse(Array(#"{"resource_id": "x"}"#.utf8)) == nil)
    }

    @Test func providerStatusesMapToIntentStates() {
        #expect(ProviderStatus(status: "created", finished: false).settledState == nil)
        #expect(ProviderStatus(status: "started", finished: false).settledState == nil)
        #expect(ProviderStatus(status: "success", finished: true).settledState == .succeeded)
        #expect(ProviderStatus(status: "failed", finished: true, code: "P0010").settledState == .failed)
        #expect(ProviderStatus(status: "failed", finished: true, code: "P0020").settledState == .expired)
        #expect(ProviderStatus(status: "failed", finished: true, code: "P0030").settledState == .cancelled)
        #expect(ProviderStatus(status: "cancelled", finished: true, code: "P0040").settledState == .cancelled)
        #expect(ProviderStatus(status: "error", finished: true, code: "P0050").settledState == .failed)
    }
}
