import AsyncHTTPClient
import Foundation
import IntakeCore
import NIOCore
import NIOHTTP1

/// GOV.UK Pay's public API: create, read and cancel card payments with the council's API key.
public struct GovUKPay: PaymentProvider {
    public static let defaultBaseURL = "https://publicapi.payments.service.gov.uk"
    public let name = PaymentSettings.Provider.govukPay
    let baseURL: String
    let client: HTTPClient
    let timeout: TimeAmount

    public init(baseURL: String = defaultBaseURL, client: HTTPClient = .shared, timeoutSeconds: Int64 = 10) {
        self.baseURL = baseURL.hasSuffix("/") ? String(baseURL.dropLast()) : baseURL
        self.client = client
        self.timeout = .seconds(timeoutSeconds)
    }

    struct CreateBody: Encodable {
        var amount: Int64
        var reference: String
        var description: String
        var return_url: String
        var email: String?
        var metadata: [String: PaymentIntent.MetadataValue]?
        var language = "en"
    }

    struct Payment: Decodable {
        struct State: Decodable {
            var status: String
            var finished: Bool
            var code: String?
        }
        struct Links: Decodable {
            struct Link: Decodable { var href: String }
            var next_url: Link?
        }
        var payment_id: String
        var state: State
        var _links: Links?
    }

    struct ErrorBody: Decodable {
        var code: String?
        var description: String?
        var field: String?
    }

    public func create(_ request: ProviderPaymentRequest, account: ProviderAccount) async throws(ProviderError) -> ProviderPayment {
        let body = CreateBody(
            amount: request.amountPence,
            reference: request.reference,
            description: request.description,
            return_url: request.returnURL,
            email: request.email,
            metadata: request.metadata.isEmpty ? nil : request.metadata
        )
        let encoded: Data
        do { encoded = try JSONEncoder().encode(body) } catch { throw .rejected(status: 0, code: nil, description: "could not encode") }
        // The intent id as the key: a retried create after a lost answer returns the same payment.
        let (status, data) = try await send(
            "/v1/payments",
            method: .POST,
            body: Array(encoded),
            account: account,
            idempotencyKey: request.intentID.uuidString.lowercased()
        )
        guard status == 201 || status == 200 else { throw Self.failure(status, data) }
        guard let payment = try? JSONDecoder().decode(Payment.self, from: data), let next = payment._links?.next_url?.href else {
            throw .unavailable("unreadable create answer")
        }
        return ProviderPayment(
            reference: payment.payment_id,
            nextURL: next,
            status: ProviderStatus(status: payment.state.status, finished: payment.state.finished, code: payment.state.code)
        )
    }

    public func status(of reference: String, account: ProviderAccount) async throws(ProviderError) -> ProviderStatus {
        let (status, data) = try await send("/v1/payments/\(Self.escape(reference))", method: .GET, body: nil, account: account)
        guard status == 200 else { throw status == 404 ? .notFound : Self.failure(status, data) }
        guard let payment = try? JSONDecoder().decode(Payment.self, from: data) else { throw .unavailable("unreadable payment") }
        return ProviderStatus(status: payment.state.status, finished: payment.state.finished, code: payment.state.code)
    }

    public func cancel(_ reference: String, account: ProviderAccount) async throws(ProviderError) -> Bool {
        let (status, data) = try await send("/v1/payments/\(Self.escape(reference))/cancel", method: .POST, body: nil, account: account)
        if status == 204 { return true }
        // 409/400: it can no longer be cancelled (already finished); the caller reads the state.
        guard status == 409 || status == 400 else { throw status == 404 ? .notFound : Self.failure(status, data) }
        return false
    }

    func send(
        _ path: String,
        method: HTTPMethod,
        body: [UInt8]?,
        account: ProviderAccount,
        idempotencyKey: String? = nil
    ) async throws(ProviderError) -> (Int, Data) {
        guard let key = account.apiKey else { throw .rejected(status: 0, code: nil, description: "no GOV.UK Pay API key is set") }
        var request = HTTPClientRequest(url: baseURL + path)
        request.method = method
        request.headers.add(name: "Authorization", value: "Bearer \(key)")
        request.headers.add(name: "Accept", value: "application/json")
        request.headers.add(name: "User-Agent", value: "CivicIntake-Payments/1")
        if let idempotencyKey { request.headers.add(name: "Idempotency-Key", value: idempotencyKey) }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(bytes: body))
        }
        do {
            let response = try await client.execute(request, timeout: timeout)
            let collected = try await response.body.collect(upTo: 1 << 20)
            let status = Int(response.status.code)
            if status >= 500 || status == 429 { throw ProviderError.unavailable("HTTP \(status)") }
            return (status, Data(collected.readableBytesView))
        } catch let error as ProviderError {
            throw error
        } catch {
            throw .unavailable(String(describing: error))
        }
    }

    static func failure(_ status: Int, _ data: Data) -> ProviderError {
        let error = try? JSONDecoder().decode(ErrorBody.self, from: data)
        return .rejected(status: status, code: error?.code, description: error?.description ?? "HTTP \(status)")
    }

    static func escape(_ reference: String) -> String {
        reference.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? reference
    }
}
