// A webhook receiver for `make bench`: answers every POST with 204 and counts them, checking
// each Standard Webhooks signature when WEBHOOK_SECRET is set (as a real receiver would).
// GET /count returns how many arrived. With SINK_RECORD=1 it also keeps each verified case
// delivery as "<case id> <event id> <message id>" in arrival order (GET /deliveries), so
// `make bench-scale` can check that none was lost or repeated and each case's came in order.
// Listens on loopback only.
//
// It also stands in for GOV.UK Notify: `POST /v2/notifications/email` and `/sms` answer 201
// with a notification id, after checking the bearer JWT as Notify does when NOTIFY_SECRET and
// NOTIFY_SERVICE_ID are set (HS256 signature, `iss`, `iat` within 30 s). GET /notify-log lists
// each accepted one as "<arrival, unix ms> <template_id> <report_url>"; GET /notify-token gives
// the last accepted request's bearer token (for `make test`'s check of it with Notify's own
// Python client library).
import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import Synchronization

final class Counter: Sendable {
    let value = Atomic<Int>(0)
    let bad = Atomic<Int>(0)
}

let port = Int(ProcessInfo.processInfo.environment["SINK_PORT"] ?? "") ?? 18090
let key = ProcessInfo.processInfo.environment["WEBHOOK_SECRET"].flatMap {
    Data(base64Encoded: String($0.dropFirst("whsec_".count))).map { SymmetricKey(data: $0) }
}
let counter = Counter()
let notifySecret = ProcessInfo.processInfo.environment["NOTIFY_SECRET"].map { SymmetricKey(data: Data($0.utf8)) }
let notifyService = ProcessInfo.processInfo.environment["NOTIFY_SERVICE_ID"]
let notifyLog = Mutex<[String]>([])
let lastToken = Mutex<String>("")
let record = ProcessInfo.processInfo.environment["SINK_RECORD"] == "1"
let deliveries = Mutex<[String]>([])

func base64URLDecoded(_ text: Substring) -> Data? {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64)
}

/// Notify's token checks: HS256 under the service's secret, `iss` the service id, `iat` within 30 s.
func notifyTokenAccepted(_ request: Request) -> Bool {
    guard let notifySecret, let notifyService else { return true }
    guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else { return false }
    let parts = header.dropFirst("Bearer ".count).split(separator: ".", omittingEmptySubsequences: false)
    guard parts.count == 3, let signature = base64URLDecoded(parts[2]), let claimsData = base64URLDecoded(parts[1]),
        let claims = try? JSONSerialization.jsonObject(with: claimsData) as? [String: Any]
    else { return false }
    let signed = Data((parts[0] + "." + parts[1]).utf8)
    guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signed, using: notifySecret) else { return false }
    guard claims["iss"] as? String == notifyService, let iat = claims["iat"] as? Int else { return false }
    return abs(Double(iat) - Date().timeIntervalSince1970) <= 30
}

func verified(_ request: Request, body: ByteBuffer) -> Bool {
    guard let key else { return true }
    guard let id = request.headers[HTTPField.Name("webhook-id")!], let timestamp = request.headers[HTTPField.Name("webhook-timestamp")!],
        let signature = request.headers[HTTPField.Name("webhook-signature")!]
    else { return false }
    var content = Data("\(id).\(timestamp).".utf8)
    content.append(contentsOf: body.readableBytesView)
    let expected = "v1," + Data(HMAC<SHA256>.authenticationCode(for: content, using: key)).base64EncodedString()
    return signature.split(separator: " ").contains { $0 == expected }
}

let router = Router()
router.post("/v2/notifications/:kind") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    guard notifyTokenAccepted(request) else {
        counter.bad.add(1, ordering: .relaxed)
        return Response(status: .forbidden)
    }
    let object = (try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any]) ?? [:]
    let template = object["template_id"] as? String ?? "-"
    let url = (object["personalisation"] as? [String: Any])?["report_url"] as? String ?? "-"
    let arrival = Int(Date().timeIntervalSince1970 * 1000)
    notifyLog.withLock { $0.append("\(arrival) \(template) \(url)") }
    let token = String(request.headers[.authorization]?.dropFirst("Bearer ".count) ?? "")
    lastToken.withLock { $0 = token }
    counter.value.add(1, ordering: .relaxed)
    let id = UUID().uuidString.lowercased()
    return Response(
        status: .created,
        headers: [.contentType: "application/json"],
        body: .init(byteBuffer: ByteBuffer(string: #"{"id": "\#(id)", "reference": null, "content": {}, "uri": "", "template": {}}"#))
    )
}
router.get("/notify-token") { _, _ in lastToken.withLock { $0 } }
router.get("/notify-log") { _, _ in notifyLog.withLock { $0.joined(separator: "\n") } + "\n" }
router.post("**") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    if verified(request, body: body) {
        counter.value.add(1, ordering: .relaxed)
        if record, let object = try? JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any] {
            let caseID = (object["case"] as? [String: Any])?["id"] as? String ?? "-"
            let eventID = ((object["event"] as? [String: Any])?["id"]).map { "\($0)" } ?? "-"
            let messageID = object["message_id"] as? String ?? "-"
            deliveries.withLock { $0.append("\(caseID) \(eventID) \(messageID)") }
        }
        return Response(status: .noContent)
    }
    counter.bad.add(1, ordering: .relaxed)
    return Response(status: .unauthorized)
}
router.get("/deliveries") { _, _ in deliveries.withLock { $0.joined(separator: "\n") } + "\n" }
router.get("/count") { _, _ in "\(counter.value.load(ordering: .relaxed)) \(counter.bad.load(ordering: .relaxed))\n" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
