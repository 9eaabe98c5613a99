import Foundation
import HTTPTypes
import Hummingbird
import IntakeClients
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// Routes for payment providers rather than apps: their signed webhooks, and the sandbox
/// provider's payer page. The page's choice goes through the same webhook handling as GOV.UK
/// Pay's notifications (signed with the council's secret, verified, deduplicated, then the
/// state read back from the provider), so the sandbox exercises the production path.
struct PaymentProviderRoutes: Sendable {
    let payments: PaymentService
    let councils: CouncilService

    static let signatureHeader = HTTPField.Name("Pay-Signature")!

    func register(on router: Router<IntakeRequestContext>, routes: RouteTable) {
        let handler = self
        router.post("/v1/payment-webhooks/:provider/:council") { request, context in
            try await handler.webhook(request, context)
        }
        routes.add(method: .post, path: "/v1/payment-webhooks/:provider/:council")
        router.get("/sandbox/pay/:id") { _, context in
            try await handler.page(context.parameters.get("id") ?? "")
        }
        router.post("/sandbox/pay/:id") { request, context in
            try await handler.choose(request, id: context.parameters.get("id") ?? "")
        }
        routes.add(method: .get, path: "/sandbox/pay/:id")
        routes.add(method: .post, path: "/sandbox/pay/:id")
    }

    // MARK: Webhooks

    func webhook(_ request: Request, _ context: IntakeRequestContext) async throws -> Response {
        let providerName = context.parameters.get("provider") ?? ""
        let slug = context.parameters.get("council") ?? ""
        guard let provider = PaymentSettings.Provider(rawValue: providerName), let council = try await councils.find(slug: slug) else {
            throw APIError.notFound("No payment webhook at this address.")
        }
        let body = try await request.body.collect(upTo: 256 * 1024)
        let outcome = try await receive(
            provider: provider,
            councilID: council.id,
            body: Array(body.readableBytesView),
            signature: request.headers[Self.signatureHeader]
        )
        let text: String
        switch outcome {
        case .applied(let state): text = #"{"result":"applied","state":"\#(state.rawValue)"}"#
        case .duplicate: text = #"{"result":"duplicate"}"#
        case .unknownPayment: text = #"{"result":"unknown_payment"}"#
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }

    /// The one path every provider notification takes.
    func receive(
        provider: PaymentSettings.Provider,
        councilID: UUID,
        body: [UInt8],
        signature: String?
    ) async throws
        -> PaymentService.WebhookOutcome
    {
        do {
            return try await payments.handleWebhook(provider: provider, councilID: councilID, body: body, signature: signature)
        } catch PaymentService.WebhookError.unknownCouncil {
            throw APIError.notFound("No payment webhook at this address.")
        } catch PaymentService.WebhookError.badSignature {
            throw APIError(
                status: 401,
                code: "invalid_signature",
                title: "Invalid signature",
                detail: "The Pay-Signature header is missing or does not match the body under this council's webhook secret."
            )
        } catch PaymentService.WebhookError.malformed {
            throw APIError.badRequest("The body is not a payment notification.", code: "malformed_notification")
        } catch let error as ProviderError {
            // Nothing changed; the provider retries its notification later.
            throw APIError(
                status: 503,
                code: "payment_provider_unavailable",
                title: "Payment provider unavailable",
                detail: "Could not read the payment's state from the provider: \(error.summary)",
                retryAfter: 60
            )
        }
    }

    // MARK: Sandbox payer page

    func page(_ rawID: String) async throws -> Response {
        guard let id = UUID(uuidString: rawID), let payment = try await payments.sandboxPayment(id) else {
            throw APIError.notFound("No sandbox payment at this address.")
        }
        let amount = Self.pounds(payment.amountPence)
        let content: String
        if payment.status == "created" {
            content = """
                <p class="lede">You are paying <strong>\(amount)</strong> to \(Self.html(payment.councilName)).</p>
                <dl>
                  <dt>For</dt><dd>\(Self.html(payment.description))</dd>
                  <dt>Account reference</dt><dd id="reference">\(Self.html(payment.reference))</dd>
                  <dt>Amount</dt><dd id="amount">\(amount)</dd>
                </dl>
                <p class="note">This is the sandbox payment provider: no card is needed and no money moves.</p>
                <form method="post" action="/sandbox/pay/\(id.uuidString.lowercased())">
                  <button type="submit" name="choice" value="pay" id="pay">Pay \(amount)</button>
                  <button type="submit" name="choice" value="decline" id="decline" class="secondary">Decline the card</button>
                  <button type="submit" name="choice" value="cancel" id="cancel" class="secondary">Cancel payment</button>
                </form>
                """
        } else {
            content = """
                <p class="lede" id="outcome">This payment is \(payment.status == "success" ? "paid" : Self.html(payment.status)).</p>
                <p><a href="\(Self.html(payment.returnURL))">Return to the service</a></p>
                """
        }
        let document = """
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>Sandbox payment - \(Self.html(payment.councilName))</title>
            <style>
              body { font-family: Arial, sans-serif; max-width: 36rem; margin: 2rem auto; padding: 0 1rem; color: #0b0c0c; }
              h1 { font-size: 1.6rem; } .lede { font-size: 1.2rem; } .note { color: #505a5f; }
              dt { font-weight: bold; margin-top: .5rem; } dd { margin: 0; }
              button { font-size: 1.1rem; padding: .6rem 1rem; margin: 1rem .5rem 0 0; border: 0; background: #00703c; color: #fff; cursor: pointer; }
              button.secondary { background: #f3f2f1; color: #0b0c0c; }
            </style>
            </head>
            <body>
            <h1>Council tax payment</h1>
            \(content)
            </body>
            </html>
            """
        return Response(
            status: .ok,
            headers: [
                .contentType: "text/html; charset=utf-8", .cacheControl: "no-store",
                HTTPField.Name("Content-Security-Policy")!: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
            ],
            body: .init(byteBuffer: ByteBuffer(string: document))
        )
    }

    /// The payer's choice: finish the sandbox payment, notify through the webhook path, and
    /// send the payer back to the app as GOV.UK Pay does.
    func choose(_ request: Request, id rawID: String) async throws -> Response {
        guard let id = UUID(uuidString: rawID), let payment = try await payments.sandboxPayment(id) else {
            throw APIError.notFound("No sandbox payment at this address.")
        }
        let body = try await request.body.collect(upTo: 4096)
        let form = URLComponents(string: "?" + String(buffer: body))?.queryItems ?? []
        let choice = form.first { $0.name == "choice" }?.value
        let outcome: (status: String, code: String?, event: String)
        switch choice {
        case "pay": outcome = ("success", nil, "card_payment_succeeded")
        case "decline": outcome = ("failed", "P0010", "card_payment_failed")
        case "cancel": outcome = ("cancelled", "P0030", "card_payment_cancelled")
        default: throw APIError.badRequest("Choose pay, decline or cancel.", code: "invalid_choice")
        }
        if try await payments.finishSandboxPayment(id, status: outcome.status, failureCode: outcome.code),
            let settings = try await payments.settings(councilID: payment.councilID), settings.provider == .sandbox
        {
            let event = ProviderWebhookEvent(
                eventID: UUID().uuidString.lowercased(),
                paymentReference: id.uuidString.lowercased(),
                eventType: outcome.event
            )
            let body = event.body()
            _ = try await receive(
                provider: .sandbox,
                councilID: payment.councilID,
                body: body,
                signature: PaySignature.sign(body, secret: settings.webhookSecret)
            )
        }
        return Response(status: .seeOther, headers: [.location: payment.returnURL, .cacheControl: "no-store"])
    }

    static func pounds(_ pence: Int64) -> String {
        let pounds = pence / 100
        let rest = pence % 100
        let grouped = pounds.formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_GB")))
        return "£\(grouped).\(rest < 10 ? "0" : "")\(rest)"
    }

    static func html(_ text: String) -> String { Markup.escape(text) }
}
