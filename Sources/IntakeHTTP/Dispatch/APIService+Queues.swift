import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

/// The pull API back offices read their queues with (SQS-shaped). Only back-office keys: the
/// queues are the key's own council's pull destinations, so another council's queue, message
/// or dead letter is simply not found.
extension APIService {
    static let maxWaitSeconds = 20
    static let maxVisibilitySeconds = 43_200

    func listQueues(_ input: Operations.ListQueues.Input) async throws -> Operations.ListQueues.Output {
        let councilID = try await backOfficeCouncilID()
        let queues = try await destinations.list(councilID: councilID, kind: .pull)
        let stats = try await destinationStats(councilID: councilID)
        return .ok(
            .init(
                body: .json(
                    .init(
                        queues: queues.map {
                            .init(
                                name: $0.name,
                                visibilityTimeoutSeconds: $0.visibilityTimeoutSeconds,
                                maxReceiveCount: $0.maxAttempts,
                                queue: .init(stats[$0.id])
                            )
                        }
                    )
                )
            )
        )
    }

    func receiveMessages(_ input: Operations.ReceiveMessages.Input) async throws -> Operations.ReceiveMessages.Output {
        let queue = try await pullQueue(input.path.queue)
        var body: Components.Schemas.ReceiveRequest?
        if case .json(let json) = input.body { body = json }
        var errors: [FieldError] = []
        let max = body?.maxMessages ?? 1
        if !(1...10).contains(max) {
            errors.append(FieldError(pointer: "/max_messages", detail: "must be 1–10", code: "out_of_range"))
        }
        let visibility = body?.visibilityTimeout ?? queue.visibilityTimeoutSeconds
        if !(0...Self.maxVisibilitySeconds).contains(visibility) {
            errors.append(FieldError(pointer: "/visibility_timeout", detail: "must be 0–43200 seconds", code: "out_of_range"))
        }
        let wait = body?.waitSeconds ?? 0
        if !(0...Self.maxWaitSeconds).contains(wait) {
            errors.append(FieldError(pointer: "/wait_seconds", detail: "must be 0–20 seconds", code: "out_of_range"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }

        let holder = "backoffice:\(queue.council.slug)"
        let deadline = ContinuousClock.now + .seconds(wait)
        let bell = signals.bell(for: queue.id)
        var received: [PullQueue.Received] = []
        while true {
            let generation = bell.generation
            received = try await destinations.receive(destinationID: queue.id, max: max, visibilitySeconds: visibility, holder: holder)
            let now = ContinuousClock.now
            if !received.isEmpty || now >= deadline || Task.isCancelled { break }
            // A notification for this queue wakes the wait; the 1 s cap is the backstop.
            await bell.wait(after: generation, timeout: min(deadline - now, .seconds(1)))
        }
        let built = try await destinations.build(
            received.map {
                .init(
                    messageID: $0.messageID,
                    eventType: $0.eventType,
                    reportID: $0.reportID,
                    eventID: $0.eventID,
                    paymentIntentID: $0.paymentIntentID
                )
            }
        )
        var messages: [Components.Schemas.ReceivedMessage] = []
        for message in received {
            guard let payload = built[message.messageID] else { continue }
            messages.append(
                .init(
                    messageId: message.messageID.uuidString.lowercased(),
                    receiptHandle: message.receipt.uuidString.lowercased(),
                    receiveCount: message.receiveCount,
                    eventType: message.eventType,
                    sentAt: message.sentAt,
                    payload: try Self.wire(payload)
                )
            )
        }
        return .ok(.init(body: .json(.init(messages: messages))))
    }

    func ackMessage(_ input: Operations.AckMessage.Input) async throws -> Operations.AckMessage.Output {
        let queue = try await pullQueue(input.path.queue)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard let messageID = UUID(uuidString: input.path.messageId) else { throw APIError.messageNotFound(input.path.messageId) }
        let receipt = try Self.receipt(body.receiptHandle, pointer: "/receipt_handle")
        let results = try await destinations.ack(destinationID: queue.id, [(messageID, receipt)])
        switch results[messageID] ?? .notFound {
        case .acked: return .noContent(.init())
        case .notFound: throw APIError.messageNotFound(input.path.messageId)
        case .staleReceipt: throw APIError.staleReceipt(input.path.messageId)
        }
    }

    func ackMessages(_ input: Operations.AckMessages.Input) async throws -> Operations.AckMessages.Output {
        let queue = try await pullQueue(input.path.queue)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard (1...10).contains(body.entries.count) else {
            throw APIError.validation([FieldError(pointer: "/entries", detail: "must hold 1–10 entries", code: "out_of_range")])
        }
        var entries: [(messageID: UUID, receipt: UUID)] = []
        var failed: [Components.Schemas.AckFailure] = []
        for entry in body.entries {
            guard let messageID = UUID(uuidString: entry.messageId) else {
                failed.append(.init(messageId: entry.messageId, code: .notFound, detail: "No message has this id in this queue."))
                continue
            }
            guard let receipt = UUID(uuidString: entry.receiptHandle) else {
                failed.append(
                    .init(messageId: entry.messageId, code: .invalidReceiptHandle, detail: "This is not a receipt handle this API gave.")
                )
                continue
            }
            entries.append((messageID, receipt))
        }
        let results = try await destinations.ack(destinationID: queue.id, entries)
        var acknowledged: [String] = []
        for (messageID, _) in entries {
            let id = messageID.uuidString.lowercased()
            switch results[messageID] ?? .notFound {
            case .acked: acknowledged.append(id)
            case .notFound: failed.append(.init(messageId: id, code: .notFound, detail: "No message has this id in this queue."))
            case .staleReceipt:
                failed.append(
                    .init(
                        messageId: id,
                        code: .staleReceiptHandle,
                        detail: "The message was received again since (use the latest handle) or is dead."
                    )
                )
            }
        }
        return .ok(.init(body: .json(.init(acknowledged: acknowledged, failed: failed))))
    }

    func changeMessageVisibility(
        _ input: Operations.ChangeMessageVisibility.Input
    ) async throws
        -> Operations.ChangeMessageVisibility.Output
    {
        let queue = try await pullQueue(input.path.queue)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard let messageID = UUID(uuidString: input.path.messageId) else { throw APIError.messageNotFound(input.path.messageId) }
        let receipt = try Self.receipt(body.receiptHandle, pointer: "/receipt_handle")
        guard (0...Self.maxVisibilitySeconds).contains(body.visibilityTimeout) else {
            throw APIError.validation(
                [FieldError(pointer: "/visibility_timeout", detail: "must be 0–43200 seconds", code: "out_of_range")])
        }
        switch try await destinations.changeVisibility(
            destinationID: queue.id,
            messageID: messageID,
            receipt: receipt,
            seconds: body.visibilityTimeout
        )
        {
        case .acked: return .noContent(.init())
        case .notFound: throw APIError.messageNotFound(input.path.messageId)
        case .staleReceipt: throw APIError.staleReceipt(input.path.messageId, inFlight: true)
        }
    }

    func listDeadMessages(_ input: Operations.ListDeadMessages.Input) async throws -> Operations.ListDeadMessages.Output {
        let limit = try Self.limit(input.query.limit, default: 50, max: 200)
        let after = try Self.sequenceCursor(input.query.cursor)
        let queue = try await pullQueue(input.path.queue)
        return .ok(.init(body: .json(try await deadList(destinationID: queue.id, limit: limit, after: after))))
    }

    func redriveMessage(_ input: Operations.RedriveMessage.Input) async throws -> Operations.RedriveMessage.Output {
        let queue = try await pullQueue(input.path.queue)
        try await redrive(destinationID: queue.id, messageID: input.path.messageId)
        return .noContent(.init())
    }

    // MARK: -

    func backOfficeCouncilID() async throws -> UUID {
        let principal = try await auth.require([.backoffice])
        guard let councilID = principal.councilID else { throw APIError.internalError }
        return councilID
    }

    func pullQueue(_ name: String) async throws -> Destination {
        let councilID = try await backOfficeCouncilID()
        guard let queue = try await destinations.find(name: name, councilID: councilID), queue.kind == .pull else {
            throw APIError.notFound("Your council has no pull queue named '\(name)'.")
        }
        return queue
    }

    static func receipt(_ text: String, pointer: String) throws -> UUID {
        guard let receipt = UUID(uuidString: text) else {
            throw APIError.validation(
                [FieldError(pointer: pointer, detail: "is not a receipt handle this API gave", code: "invalid_receipt_handle")])
        }
        return receipt
    }

    /// Either kind of message as the generated payload type (the same JSON the webhooks carry).
    static func wire(_ message: QueueMessage) throws -> Components.Schemas.ReceivedMessage.PayloadPayload {
        switch message {
        case .caseEvent(let message): return .CaseMessage(try wire(message))
        case .payment(let message):
            // One encoding for webhook bodies and pulled payloads: the domain type's own.
            let data = try CaseMessage.encoder.encode(message)
            return .PaymentMessage(try CaseMessage.decoder.decode(Components.Schemas.PaymentMessage.self, from: data))
        }
    }

    /// The domain message as its generated wire type (the same JSON the webhooks carry).
    static func wire(_ message: CaseMessage) throws -> Components.Schemas.CaseMessage {
        func photo(_ photo: CaseMessage.Photo) -> Components.Schemas.CaseMessagePhoto { .init(id: photo.id, url: photo.url) }
        let item = message.case
        guard let type = Components.Schemas.CaseMessage._TypePayload(rawValue: message.type),
            let status = Components.Schemas.ReportStatus(rawValue: item.status)
        else { throw APIError.internalError }
        return .init(
            messageId: message.messageID,
            _type: type,
            timestamp: message.timestamp,
            council: message.council,
            _case: .init(
                id: item.id,
                reference: item.reference,
                category: .init(code: item.category.code, name: item.category.name),
                status: status,
                open: item.open,
                location: .init(lat: item.location.lat, lon: item.location.lon),
                address: item.address,
                description: item.description,
                attributes: .init(additionalProperties: try OpenAPIObjectContainer(answers: item.attributes)),
                reporter: item.reporter.map { .init(name: $0.name, email: $0.email, phone: $0.phone) },
                anonymous: item.anonymous,
                photos: item.photos.map(photo),
                mediaUrls: item.mediaURLs,
                externalReference: item.externalReference,
                expectedAt: item.expectedAt,
                createdAt: item.createdAt,
                updatedAt: item.updatedAt,
                closedAt: item.closedAt
            ),
            event: .init(
                id: message.event.id,
                kind: message.event.kind,
                status: message.event.status.flatMap(Components.Schemas.ReportStatus.init(rawValue:)),
                publicNote: message.event.publicNote,
                photo: message.event.photo.map(photo),
                createdAt: message.event.createdAt
            )
        )
    }
}

extension APIError {
    static func staleReceipt(_ messageID: String, inFlight: Bool = false) -> APIError {
        APIError.conflict(
            inFlight
                ? "The receipt handle for message \(messageID) is not the latest, or its visibility timeout has ended."
                : "The receipt handle for message \(messageID) is not the latest: it was received again since, or is dead.",
            code: "stale_receipt_handle"
        )
    }
}
