import Foundation
import IntakeTestSupport
import Synchronization

/// A local stand-in for GOV.UK Pay's public API: create, read and cancel payments, Bearer keys
/// checked, answers in GOV.UK Pay's shapes. Tests move payments along as a payer would.
final class FakeGovUKPay: Sendable {
    static let apiKey = "api_test_fake_key"
    static let webhookSecret = "webhook_secret_for_tests_0123456789"

    struct Payment: Sendable {
        var amount: Int
        var reference: String
        var returnURL: String
        var status = "created"
        var code: String?
        var finished: Bool { !["created", "started", "submitted", "capturable"].contains(status) }
    }

    let payments = Mutex<[String: Payment]>([:])
    /// Creates fail with this status while set.
    let failCreates = Mutex<Int?>(nil)
    let receiver: HTTPReceiver

    private init(receiver: HTTPReceiver) { self.receiver = receiver }

    static func start() async throws -> FakeGovUKPay {
        let receiver = try await HTTPReceiver.start()
        let fake = FakeGovUKPay(receiver: receiver)
        receiver.setResponder { [fake] request, _ in fake.respond(request) }
        return fake
    }

    var url: String { receiver.url }
    func stop() async { await receiver.stop() }

    func set(_ id: String, status: String, code: String? = nil) {
        payments.withLock {
            $0[id]?.status = status
            $0[id]?.code = code
        }
    }

    func respond(_ request: HTTPReceiver.Request) -> HTTPReceiver.Reply {
        guard request.headers["authorization"] == "Bearer \(Self.apiKey)" else {
            return json(401, #"{"code": "P0920", "description": "Unauthorised"}"#)
        }
        let parts = request.path.split(separator: "/").map(String.init)
        switch (request.method, parts.count) {
        case ("POST", 2) where parts == ["v1", "payments"]:
            if let status = failCreates.withLock({ $0 }) { return json(status, #"{"code": "P0999", "description": "down"}"#) }
            guard let body = try? JSONSerialization.jsonObject(with: request.body) as? [String: Any],
                let amount = body["amount"] as? Int, let reference = body["reference"] as? String,
                let returnURL = body["return_url"] as? String, body["description"] is String
            else { return json(400, #"{"code": "P0102", "description": "Invalid attribute value"}"#) }
            let id = "pay" + UUID().uuidString.replacingOccurrences(of: "-", with: "").prefix(20).lowercased()
            payments.withLock { $0[id] = Payment(amount: amount, reference: reference, returnURL: returnURL) }
            return json(201, document(id))
        case ("GET", 3):
            guard payments.withLock({ $0[parts[2]] }) != nil else { return json(404, #"{"code": "P0200", "description": "Not found"}"#) }
            return json(200, document(parts[2]))
        case ("POST", 4) where parts[3] == "cancel":
            return payments.withLock { all -> HTTPReceiver.Reply in
                guard var payment = all[parts[2]] else { return json(404, #"{"code": "P0500", "description": "Not found"}"#) }
                guard !payment.finished else { return json(400, #"{"code": "P0501", "description": "Cancellation failed"}"#) }
                payment.status = "cancelled"
                payment.code = "P0040"
                all[parts[2]] = payment
                return HTTPReceiver.Reply(status: 204)
            }
        default:
            return json(404, #"{"code": "P0000", "description": "no route"}"#)
        }
    }

    func document(_ id: String) -> String {
        let payment = payments.withLock { $0[id]! }
        let code = payment.code.map { #", "code": "\#($0)", "message": "x""# } ?? ""
        return """
            {"payment_id": "\(id)", "amount": \(payment.amount), "reference": "\(payment.reference)", "description": "d",
             "return_url": "\(payment.returnURL)", "payment_provider": "sandbox", "created_date": "2026-11-28T10:00:00.000Z",
             "state": {"status": "\(payment.status)", "finished": \(payment.finished)\(code)},
             "_links": {"self": {"href": "\(url)/v1/payments/\(id)", "method": "GET"},
                        "next_url": {"href": "https://card.payments.example/secure/\(id)", "method": "GET"}}}
            """
    }

    func json(_ status: Int, _ body: String) -> HTTPReceiver.Reply {
        HTTPReceiver.Reply(status: status, body: body, headers: ["Content-Type": "application/json"])
    }
}
