import Foundation
import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

/// Payment intents for client apps: create (idempotent, required key) and read back.
extension APIService {
    static let paymentOperation = "POST /v1/payment-intents"

    func createPaymentIntent(_ input: Operations.CreatePaymentIntent.Input) async throws -> Operations.CreatePaymentIntent.Output {
        let principal = try await auth.require([.client])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let key = try Self.idempotencyKey(RequestScope.current?.idempotencyKey ?? input.headers.idempotencyKey)
        let request = try PaymentInput.newIntent(from: body)
        let shapeProblems = PaymentRules.shapeProblems(request)
        if !shapeProblems.isEmpty { throw APIError.validation(shapeProblems) }

        // Claimed before the council's rules are read, so a retry replays the first answer even
        // if the council's settings have changed since.
        let scope = IdempotencyStore.Scope(
            clientKeyID: principal.keyID,
            operation: Self.paymentOperation,
            key: key,
            requestHash: Secrets.sha256(try PaymentInput.canonicalJSON(body))
        )
        return try await idempotent.run(scope) { _, stored in
            .created(.init(body: .json(try ReportInput.decoder.decode(Components.Schemas.PaymentIntent.self, from: stored))))
        } _: {
            do {
                let (council, settings, reference) = try await councilRules(request)
                let expiresAt = Date().addingTimeInterval(TimeInterval(payments.expiry.components.seconds))
                let description = "Council tax, \(council.name)"
                let id = try await payments.create(
                    .init(
                        councilID: council.id,
                        accountReference: reference,
                        amountPence: request.amountPence,
                        returnURL: request.returnURL,
                        provider: settings.provider.rawValue,
                        expiresAt: expiresAt,
                        fundCode: settings.fundCode,
                        description: description,
                        payerName: request.payerName,
                        payerEmail: request.payerEmail,
                        metadata: request.metadata,
                        clientKeyID: principal.keyID
                    ),
                    actor: "client"
                )
                let providerRequest = ProviderPaymentRequest(
                    intentID: id,
                    amountPence: request.amountPence,
                    reference: reference,
                    description: description,
                    returnURL: request.returnURL,
                    email: request.payerEmail,
                    metadata: request.metadata
                )
                let intent = try await payments.start(id, councilID: council.id, request: providerRequest, settings: settings) { intent, connection in
                    let body = try ReportInput.encoder.encode(Components.Schemas.PaymentIntent(intent, history: nil))
                    try await IdempotencyStore.record(scope, status: 201, body: body, on: connection, logger: RequestScope.logger)
                }
                return .created(.init(body: .json(try .init(intent, history: nil))))
            } catch let error as ProviderError {
                throw APIError.provider(error)
            }
        }
    }

    /// The council, its settings and the normalised reference, or a 422 naming what is wrong.
    func councilRules(_ request: NewPaymentIntent) async throws -> (Council, PaymentSettings, String) {
        guard let council = try await councils.find(slug: request.councilSlug) else {
            throw APIError.validation([
                FieldError(pointer: "/council", detail: "no council has the slug '\(request.councilSlug)'", code: "unknown_council")
            ])
        }
        guard let settings = try await payments.settings(councilID: council.id) else {
            throw APIError.validation([
                FieldError(pointer: "/council", detail: "\(council.name) does not take payments here", code: "payments_not_enabled")
            ])
        }
        let (normalised, errors) = PaymentRules.councilProblems(request, settings: settings)
        guard errors.isEmpty, let normalised else { throw APIError.validation(errors) }
        return (council, settings, normalised)
    }

    func getPaymentIntent(_ input: Operations.GetPaymentIntent.Input) async throws -> Operations.GetPaymentIntent.Output {
        let principal = try await auth.require(Set(Role.allCases))
        guard let id = UUID(uuidString: input.path.id), var intent = try await payments.find(id: id) else {
            throw APIError.paymentNotFound(input.path.id)
        }
        let isStaff = principal.role == .admin || (principal.role == .backoffice && principal.councilID == intent.council.id)
        guard isStaff || (principal.role == .client && intent.clientKeyID == principal.keyID) else {
            throw APIError.paymentNotFound(input.path.id)
        }
        // A payer back from the provider's page may arrive before its webhook: ask the provider
        // (its state is authoritative); if it cannot answer, the stored state stands.
        if !intent.state.isSettled, let fresh = try? await payments.refresh(intent, actor: "provider") { intent = fresh }
        let history = isStaff ? try await payments.events(intent.id) : nil
        return .ok(.init(body: .json(try .init(intent, history: history))))
    }
}

extension APIError {
    static func paymentNotFound(_ id: String) -> APIError {
        .notFound("No payment intent has the id '\(id)'.")
    }

    static func provider(_ error: ProviderError) -> APIError {
        switch error {
        case .unavailable:
            APIError(
                status: 503,
                code: "payment_provider_unavailable",
                title: "Payment provider unavailable",
                detail: "The payment provider did not answer; nothing was charged. Retry with a new Idempotency-Key.",
                retryAfter: 5
            )
        case .rejected(_, let code, let description):
            APIError(
                status: 502,
                code: "payment_provider_refused",
                title: "Payment provider refused the payment",
                detail: "The payment provider refused it\(code.map { " (\($0))" } ?? ""): \(description)"
            )
        case .notFound:
            APIError(status: 502, code: "payment_provider_refused", title: "Payment provider refused the payment")
        }
    }
}

/// Turning the wire request into a `NewPaymentIntent`.
enum PaymentInput {
    static func newIntent(from body: Components.Schemas.PaymentIntentCreate) throws -> NewPaymentIntent {
        var metadata: [String: PaymentIntent.MetadataValue] = [:]
        var errors: [FieldError] = []
        for (key, value) in (body.metadata?.additionalProperties.value ?? [:]).sorted(by: { $0.key < $1.key }) {
            switch value {
            case let text as String: metadata[key] = .text(text)
            case let bool as Bool: metadata[key] = .bool(bool)
            case let number as Int: metadata[key] = .number(Double(number))
            case let number as Double: metadata[key] = .number(number)
            default:
                errors.append(
                    FieldError(
                        pointer: "/metadata/\(JSONPointer.escape(key))",
                        detail: "must be text, a number or true/false",
                        code: "wrong_type"
                    )
                )
            }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        return NewPaymentIntent(
            councilSlug: body.council,
            purpose: .councilTax,
            accountReference: body.accountReference,
            amountPence: body.amount,
            payerName: body.payerName,
            payerEmail: body.payerEmail,
            returnURL: body.returnUrl,
            metadata: metadata
        )
    }

    static func canonicalJSON(_ body: Components.Schemas.PaymentIntentCreate) throws -> String {
        String(decoding: try ReportInput.encoder.encode(body), as: UTF8.self)
    }
}

extension Components.Schemas.PaymentIntent {
    init(_ intent: PaymentIntent, history: [PaymentStore.Event]?) throws {
        let metadata =
            try intent.metadata.isEmpty
            ? nil
            : Components.Schemas.PaymentIntent.MetadataPayload(
                additionalProperties: OpenAPIObjectContainer(unvalidatedValue: intent.metadata.mapValues { $0.jsonValue as (any Sendable)? })
            )
        self.init(
            id: intent.id.uuidString.lowercased(),
            council: intent.council.slug,
            purpose: .councilTax,
            accountReference: intent.accountReference,
            fundCode: intent.fundCode,
            amount: intent.amountPence,
            state: .init(rawValue: intent.state.rawValue)!,
            nextUrl: intent.state == .pending ? intent.nextURL : nil,
            returnUrl: intent.returnURL,
            payerName: intent.payerName,
            payerEmail: intent.payerEmail,
            metadata: metadata,
            provider: .init(rawValue: intent.provider) ?? .sandbox,
            providerReference: intent.providerReference,
            failureCode: intent.failureCode,
            expiresAt: intent.expiresAt,
            paidAt: intent.paidAt,
            createdAt: intent.createdAt,
            updatedAt: intent.updatedAt,
            history: history?.map {
                .init(
                    fromState: $0.from.map { .init(rawValue: $0.rawValue)! },
                    toState: .init(rawValue: $0.to.rawValue)!,
                    actor: $0.actor,
                    reason: $0.reason,
                    at: $0.at
                )
            }
        )
    }
}

extension APIError {
    /// The generated server refuses a payment without the (required) Idempotency-Key before the
    /// handler runs; `ErrorTranslation` answers with this, the code apps are written against.
    static let idempotencyKeyRequired = APIError.badRequest(
        "Payments need an Idempotency-Key header (a new UUID per payment), so a retry never pays twice.",
        code: "idempotency_key_required"
    )
}
