import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices

/// Alerts (a client key asks; the subscriber confirms by the link) and one-click unsubscribe
/// links (no key: the token is the authority).
extension APIService {
    func createAlert(_ input: Operations.CreateAlert.Input) async throws -> Operations.CreateAlert.Output {
        let principal = try await auth.require([.client])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        var reportID: UUID?
        if let text = body.reportId {
            guard let id = UUID(uuidString: text) else {
                throw APIError.validation([FieldError(pointer: "/report_id", detail: "is not a report id (a UUID)", code: "invalid_id")])
            }
            reportID = id
        }
        let alert = NewAlert(
            kind: AlertSubscription.Kind(rawValue: body.kind.rawValue) ?? .report,
            reportID: reportID,
            lat: body.lat,
            lon: body.lon,
            radiusMetres: body.radiusMetres,
            council: body.council,
            category: body.category,
            email: body.email,
            webhookURL: body.webhookUrl,
            frequency: body.frequency.flatMap { AlertSubscription.Frequency(rawValue: $0.rawValue) } ?? .immediate
        )
        try alert.validate(allowHTTP: config.allowHTTPDestinations)
        if let url = alert.webhookURL, let problem = await destinations.addressProblem(url) {
            throw APIError.validation([
                FieldError(pointer: "/webhook_url", detail: "must not point inside the network: \(problem)", code: "private_address")
            ])
        }
        let subscribed: NotificationService.Subscribed
        do {
            subscribed = try await app.notifications.subscribe(alert, clientKeyID: principal.keyID)
        } catch let refusal as NotificationService.AlertRefusal {
            throw APIError(refusal)
        }
        return .accepted(
            .init(
                body: .json(
                    .init(alert: .init(subscribed.subscription, showDates: false), webhookSecret: subscribed.webhookSecret)
                )
            )
        )
    }

    func eraseAlertSubscriber(_ input: Operations.EraseAlertSubscriber.Input) async throws -> Operations.EraseAlertSubscriber.Output {
        _ = try await auth.require([.admin])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard TextRules.looksLikeEmail(body.email) else {
            throw APIError.validation([FieldError(pointer: "/email", detail: "is not an email address", code: "invalid_email")])
        }
        let erased = try await app.notifications.eraseSubscriber(email: body.email)
        return .ok(.init(body: .json(.init(subscriptionsErased: erased))))
    }

    func confirmAlert(_ input: Operations.ConfirmAlert.Input) async throws -> Operations.ConfirmAlert.Output {
        guard let subscription = try await app.notifications.confirm(token: input.path.token) else {
            throw APIError.notFound("This confirmation link is not valid, or its alert has ended.")
        }
        return .ok(.init(body: .json(.init(subscription))))
    }

    func unsubscribe(_ input: Operations.Unsubscribe.Input) async throws -> Operations.Unsubscribe.Output {
        switch try await app.notifications.unsubscribe(token: input.path.token) {
        case .report(let id): return .ok(.init(body: .json(.init(unsubscribed: .report, id: id.uuidString.lowercased()))))
        case .alert(let id): return .ok(.init(body: .json(.init(unsubscribed: .alert, id: id.uuidString.lowercased()))))
        case nil: throw APIError.notFound("This unsubscribe link is not valid, or what it stops has gone.")
        }
    }
}

extension APIError {
    init(_ refusal: NotificationService.AlertRefusal) {
        switch refusal {
        case .noSuchReport: self = APIError(status: 404, code: "report_not_found", title: "Not found", detail: "No report has this report_id.")
        case .noSuchCouncil: self = APIError(status: 404, code: "council_not_found", title: "Not found", detail: "No council has this slug.")
        case .noSuchCategory:
            self = APIError(status: 404, code: "category_not_found", title: "Not found", detail: "The council has no category with this code.")
        case .outsideCouncils:
            self = APIError(
                status: 422,
                code: "outside_councils",
                title: "Outside every council",
                detail: "No council served here covers this point.",
                fieldErrors: [FieldError(pointer: "/lat", detail: "no council covers this point", code: "outside_councils")]
            )
        case .emailUnavailable(let council):
            self = APIError(
                status: 422,
                code: "email_alerts_unavailable",
                title: "Email alerts unavailable",
                detail: "\(council) does not send email alerts (no GOV.UK Notify settings with an alert_confirm template).",
                fieldErrors: [FieldError(pointer: "/email", detail: "\(council) does not send email alerts", code: "email_alerts_unavailable")]
            )
        case .secretsKeyMissing:
            self = APIError(
                status: 503,
                code: "secrets_key_missing",
                title: "Service unavailable",
                detail: "This service has no SECRETS_KEY set, so it cannot keep a webhook's signing secret; its operator must set one."
            )
        }
    }
}

extension Components.Schemas.Alert {
    /// `showDates` false (the answer to whoever asked for an alert): when it was made and
    /// confirmed would tell whether the address already had it.
    init(_ subscription: AlertSubscription, showDates: Bool = true) {
        var reportID: String?
        var council: String?
        var category: String?
        var lat: Double?
        var lon: Double?
        var radius: Int?
        switch subscription.target {
        case .report(let id, _): reportID = id.uuidString.lowercased()
        case .area(let point, let metres): (lat, lon, radius) = (point.lat, point.lon, metres)
        case .council(let ref, let code, _): (council, category) = (ref.slug, code)
        }
        self.init(
            id: subscription.id.uuidString.lowercased(),
            kind: .init(rawValue: subscription.kind.rawValue) ?? .report,
            state: .init(rawValue: subscription.state.rawValue) ?? .pending,
            frequency: .init(rawValue: subscription.frequency.rawValue) ?? .immediate,
            description: subscription.describe(),
            reportId: reportID,
            council: council,
            category: category,
            lat: lat,
            lon: lon,
            radiusMetres: radius,
            delivery: subscription.email != nil ? .email : .webhook,
            createdAt: showDates ? subscription.createdAt : nil,
            confirmedAt: showDates ? subscription.confirmedAt : nil
        )
    }
}
