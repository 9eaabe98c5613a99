// A webhook receiver for `make bench`: answers every POST with 204 and counts them, checking
// each Standard Webhooks signature when WEBHOOK_SECRET is set (as a real receiver would).
// GET /count returns how many arrived. Listens on loopback only.
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
router.post("**") { request, _ -> Response in
    let body = try await request.body.collect(upTo: 1 << 20)
    if verified(request, body: body) {
        counter.value.add(1, ordering: .relaxed)
        return Response(status: .noContent)
    }
    counter.bad.add(1, ordering: .relaxed)
    return Response(status: .unauthorized)
}
router.get("/count") { _, _ in "\(counter.value.load(ordering: .relaxed)) \(counter.bad.load(ordering: .relaxed))\n" }
let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)))
try await app.runService()
