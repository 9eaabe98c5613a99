import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// Councils' back-office destinations: managed by an admin or the council's own back-office
/// key, like the catalogue. Another council's key gets the same 404 as a missing council.
extension APIService {
    func listDestinations(_ input: Operations.ListDestinations.Input) async throws -> Operations.ListDestinations.Output {
        let council = try await staffCouncil(input.path.slug)
        let all = try await destinations.list(councilID: council.id)
        let stats = try await destinationStats(councilID: council.id)
        return .ok(.init(body: .json(.init(destinations: all.map { .init($0, stats: stats[$0.id]) }))))
    }

    func createDestination(_ input: Operations.CreateDestination.Input) async throws -> Operations.CreateDestination.Output {
        let council = try await staffCouncil(input.path.slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard let kind = Destination.Kind(rawValue: body.kind.rawValue) else { throw APIError.internalError }
        let definition = DestinationDefinition(
            name: body.name,
            kind: kind,
            isDefault: body._default ?? false,
            url: body.url,
            open311APIKey: body.open311ApiKey,
            open311Jurisdiction: body.open311JurisdictionId,
            timeoutSeconds: body.timeoutSeconds ?? 15,
            maxAttempts: body.maxAttempts ?? DestinationDefinition.defaultMaxAttempts,
            visibilityTimeoutSeconds: body.visibilityTimeoutSeconds ?? 30,
            receivesPayments: body.receivesPayments ?? false
        )
        try definition.validate(allowHTTP: config.allowHTTPDestinations)
        try await checkReachable(definition.url)
        do {
            let created = try await destinations.create(definition, councilID: council.id)
            return .created(.init(body: .json(.init(created, stats: nil, showSecret: true))))
        } catch DispatchService.Refusal.nameTaken {
            throw APIError.conflict(
                "\(council.name) already has a destination named '\(definition.name)'.",
                code: "destination_exists"
            )
        }
    }

    func getDestination(_ input: Operations.GetDestination.Input) async throws -> Operations.GetDestination.Output {
        let (council, destination) = try await staffDestination(input.path.slug, input.path.name)
        let stats = try await destinationStats(councilID: council.id)
        return .ok(.init(body: .json(.init(destination, stats: stats[destination.id]))))
    }

    func updateDestination(_ input: Operations.UpdateDestination.Input) async throws -> Operations.UpdateDestination.Output {
        let (council, existing) = try await staffDestination(input.path.slug, input.path.name)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        var definition = existing.definition
        if let isDefault = body._default { definition.isDefault = isDefault }
        if let url = body.url { definition.url = url.isEmpty ? nil : url }
        if let key = body.open311ApiKey { definition.open311APIKey = key.isEmpty ? nil : key }
        if let jurisdiction = body.open311JurisdictionId { definition.open311Jurisdiction = jurisdiction.isEmpty ? nil : jurisdiction }
        if let timeout = body.timeoutSeconds { definition.timeoutSeconds = timeout }
        if let attempts = body.maxAttempts { definition.maxAttempts = attempts }
        if let visibility = body.visibilityTimeoutSeconds { definition.visibilityTimeoutSeconds = visibility }
        if let receives = body.receivesPayments { definition.receivesPayments = receives }
        try definition.validate(allowHTTP: config.allowHTTPDestinations, checkURL: body.url != nil)
        try await checkReachable(definition.url)
        guard var updated = try await destinations.update(definition, councilID: council.id) else {
            throw APIError.destinationNotFound(input.path.name)
        }
        if let enabled = body.enabled, enabled != (updated.disabledAt == nil) {
            updated = try await destinations.setEnabled(enabled, name: updated.name, councilID: council.id, reason: "disabled by hand") ?? updated
        }
        let stats = try await destinationStats(councilID: council.id)
        return .ok(.init(body: .json(.init(updated, stats: stats[updated.id]))))
    }

    func deleteDestination(_ input: Operations.DeleteDestination.Input) async throws -> Operations.DeleteDestination.Output {
        let council = try await staffCouncil(input.path.slug)
        if let existing = try await destinations.find(name: input.path.name, councilID: council.id), existing.kind == .notify {
            throw APIError.conflict(
                "'\(input.path.name)' carries \(council.name)'s messages to people; it is made by the service and cannot be deleted.",
                code: "destination_managed"
            )
        }
        do {
            guard try await destinations.delete(name: input.path.name, councilID: council.id) else {
                throw APIError.destinationNotFound(input.path.name)
            }
        } catch DispatchService.Refusal.inUse(let reason) {
            throw APIError.conflict("The destination '\(input.path.name)' is in use: \(reason).", code: "destination_in_use")
        }
        return .noContent(.init())
    }

    func rotateDestinationSecret(
        _ input: Operations.RotateDestinationSecret.Input
    ) async throws
        -> Operations.RotateDestinationSecret.Output
    {
        let (council, existing) = try await staffDestination(input.path.slug, input.path.name)
        guard existing.kind == .webhook else {
            throw APIError.conflict("Only webhook destinations have a signing secret.", code: "not_a_webhook")
        }
        guard
            let rotated = try await destinations.rotateSecret(
                name: existing.name,
                councilID: council.id,
                overlap: config.webhookSecretOverlap
            )
        else { throw APIError.destinationNotFound(input.path.name) }
        let stats = try await destinationStats(councilID: council.id)
        return .ok(.init(body: .json(.init(rotated, stats: stats[rotated.id], showSecret: true))))
    }

    func listDeliveryAttempts(
        _ input: Operations.ListDeliveryAttempts.Input
    ) async throws
        -> Operations.ListDeliveryAttempts.Output
    {
        let limit = try Self.limit(input.query.limit, default: 50, max: 500)
        let (_, destination) = try await staffDestination(input.path.slug, input.path.name)
        let attempts = try await destinations.attempts(destinationID: destination.id, limit: limit)
        return .ok(.init(body: .json(.init(attempts: attempts.map(Components.Schemas.DeliveryAttempt.init)))))
    }

    func listDestinationDeadMessages(
        _ input: Operations.ListDestinationDeadMessages.Input
    ) async throws
        -> Operations.ListDestinationDeadMessages.Output
    {
        let limit = try Self.limit(input.query.limit, default: 50, max: 200)
        let after = try Self.sequenceCursor(input.query.cursor)
        let (_, destination) = try await staffDestination(input.path.slug, input.path.name)
        return .ok(.init(body: .json(try await deadList(destinationID: destination.id, limit: limit, after: after))))
    }

    func redriveDestinationMessage(
        _ input: Operations.RedriveDestinationMessage.Input
    ) async throws
        -> Operations.RedriveDestinationMessage.Output
    {
        let (_, destination) = try await staffDestination(input.path.slug, input.path.name)
        try await redrive(destinationID: destination.id, messageID: input.path.messageId)
        return .noContent(.init())
    }

    func getDispatchStats(_ input: Operations.GetDispatchStats.Input) async throws -> Operations.GetDispatchStats.Output {
        _ = try await auth.require([.admin])
        let stats = try await destinations.stats()
        let unrouted = try await destinations.unroutedCount()
        return .ok(
            .init(
                body: .json(
                    .init(
                        destinations: stats.map {
                            .init(
                                council: $0.councilSlug,
                                name: $0.name,
                                kind: .init(rawValue: $0.kind.rawValue)!,
                                enabled: !$0.disabled,
                                queue: .init($0)
                            )
                        },
                        unrouted: unrouted
                    )
                )
            )
        )
    }

    // MARK: Shared

    /// Refuses a URL that is, or resolves to, an address inside the network (see
    /// `DestinationAddressGuard`; the worker checks again before every delivery).
    func checkReachable(_ url: String?) async throws {
        guard let url, let problem = await destinations.addressProblem(url)
        else { return }
        throw APIError.validation([FieldError(pointer: "/url", detail: "must not point inside the network: \(problem)", code: "private_address")])
    }

    func staffDestination(_ slug: String, _ name: String) async throws -> (Council, Destination) {
        let council = try await staffCouncil(slug)
        guard let destination = try await destinations.find(name: name, councilID: council.id) else {
            throw APIError.destinationNotFound(name)
        }
        return (council, destination)
    }

    func destinationStats(councilID: UUID) async throws -> [UUID: QueueStats] {
        Dictionary(uniqueKeysWithValues: try await destinations.stats(councilID: councilID).map { ($0.destinationID, $0) })
    }

    func deadList(destinationID: UUID, limit: Int, after: Int64?) async throws -> Components.Schemas.DeadMessageList {
        let dead = try await destinations.dead(destinationID: destinationID, limit: limit + 1, after: after)
        let page = dead.prefix(limit)
        return .init(
            messages: page.map {
                .init(
                    messageId: $0.messageID.uuidString.lowercased(),
                    eventType: $0.eventType,
                    caseId: $0.reportID?.uuidString.lowercased(),
                    paymentId: $0.paymentIntentID?.uuidString.lowercased(),
                    attempts: $0.attempts,
                    lastError: $0.lastError,
                    diedAt: $0.diedAt,
                    createdAt: $0.createdAt
                )
            },
            nextCursor: dead.count > limit ? page.last.map { String($0.jobID) } : nil
        )
    }

    func redrive(destinationID: UUID, messageID raw: String) async throws {
        guard let messageID = UUID(uuidString: raw) else { throw APIError.messageNotFound(raw) }
        switch try await destinations.redrive(destinationID: destinationID, messageID: messageID) {
        case .redriven: return
        case .notFound: throw APIError.messageNotFound(raw)
        case .notDead: throw APIError.conflict("The message \(raw) is not dead.", code: "not_dead")
        }
    }

}

extension APIError {
    static func destinationNotFound(_ name: String) -> APIError {
        .notFound("No destination is named '\(name)'.")
    }

    static func messageNotFound(_ id: String) -> APIError {
        .notFound("No message has the id '\(id)' in this queue.")
    }
}

extension Components.Schemas.QueueFigures {
    init(_ stats: QueueStats?) {
        self.init(
            depth: stats?.depth ?? 0,
            inFlight: stats?.inFlight ?? 0,
            oldestAgeSeconds: stats?.oldestAgeSeconds ?? 0,
            dead: stats?.dead ?? 0
        )
    }
}

extension Components.Schemas.Destination {
    init(_ destination: Destination, stats: QueueStats?, showSecret: Bool = false) {
        let previousValid = destination.previousSecretExpiresAt.map { $0 > Date() } ?? false
        self.init(
            name: destination.name,
            kind: .init(rawValue: destination.kind.rawValue)!,
            council: .init(destination.council),
            _default: destination.isDefault,
            url: destination.url,
            open311JurisdictionId: destination.open311Jurisdiction,
            open311ApiKeySet: destination.kind == .open311 ? destination.open311APIKey != nil : nil,
            timeoutSeconds: destination.timeoutSeconds,
            maxAttempts: destination.maxAttempts,
            visibilityTimeoutSeconds: destination.visibilityTimeoutSeconds,
            enabled: destination.disabledAt == nil,
            receivesPayments: destination.receivesPayments,
            disabledAt: destination.disabledAt,
            disabledReason: destination.disabledReason,
            signingSecret: showSecret ? destination.secret : nil,
            previousSecretExpiresAt: previousValid ? destination.previousSecretExpiresAt : nil,
            queue: .init(stats),
            createdAt: destination.createdAt,
            updatedAt: destination.updatedAt
        )
    }
}

extension Components.Schemas.DeliveryAttempt {
    init(_ attempt: IntakeCore.DeliveryAttempt) {
        self.init(
            messageId: attempt.messageID.uuidString.lowercased(),
            eventType: attempt.eventType,
            attempt: attempt.attempt,
            startedAt: attempt.startedAt,
            durationMs: attempt.durationMilliseconds,
            outcome: .init(rawValue: attempt.outcome.rawValue)!,
            statusCode: attempt.statusCode,
            responseExcerpt: attempt.responseExcerpt,
            error: attempt.error
        )
    }
}
