import AsyncHTTPClient
import Foundation
import IntakeTestSupport
import Testing

@testable import IntakeClients
@testable import IntakeServices

/// The worker checks a destination's address again before every delivery: a name that now
/// resolves inside the network is not connected to.
@Suite struct AddressGuardTests {
    @Test func aDeliveryToAnInsideAddressIsRefusedBeforeConnecting() async throws {
        let receiver = try await HTTPReceiver.start { _, _ in .init(status: 204) }
        let guarded = Sender(client: Sender.makeClient(), addressGuard: DestinationAddressGuard(allowPrivate: false))
        let allowed = Sender(client: Sender.makeClient(), addressGuard: DestinationAddressGuard(allowPrivate: true))
        let port = URL(string: receiver.url)!.port!
        for url in [receiver.url + "/hook", "http://localhost:\(port)/hook", "http://2130706433:\(port)/hook"] {
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            let result = await guarded.send(request, timeout: 5, parse: false)
            #expect(result.statusCode == nil, "\(url)")
            #expect(result.error?.hasPrefix("refused to connect") == true, "\(url): \(result.error ?? "")")
        }
        #expect(receiver.requests.isEmpty, "nothing reached the receiver")
        var request = HTTPClientRequest(url: receiver.url + "/hook")
        request.method = .POST
        #expect(await allowed.send(request, timeout: 5, parse: false).statusCode == 204, "the local-testing allowance connects")
        await guarded.shutdown()
        await allowed.shutdown()
        await receiver.stop()
    }
}
