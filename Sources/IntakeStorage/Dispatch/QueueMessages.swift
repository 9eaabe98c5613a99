import Foundation
import IntakeCore
import Logging

/// Builds what a batch of queue jobs carries: case messages for case events, payment messages
/// for paid intents handed to a revenues destination.
public struct QueueMessages: Sendable {
    let cases: CaseMessages
    let payments: PaymentStore

    public init(database: Database, logger: Logger, baseURL: String) {
        self.cases = CaseMessages(database: database, logger: logger, baseURL: baseURL)
        self.payments = PaymentStore(database: database, logger: logger)
    }

    public struct Source: Sendable, Hashable {
        public var messageID: UUID
        public var eventType: String
        public var reportID: UUID?
        public var eventID: Int64?
        public var paymentIntentID: UUID?

        public init(messageID: UUID, eventType: String, reportID: UUID?, eventID: Int64?, paymentIntentID: UUID?) {
            self.messageID = messageID
            self.eventType = eventType
            self.reportID = reportID
            self.eventID = eventID
            self.paymentIntentID = paymentIntentID
        }
    }

    /// Messages by message id; a job whose subject has gone has none.
    public func build(_ sources: [Source]) async throws -> [UUID: QueueMessage] {
        var messages: [UUID: QueueMessage] = [:]
        let caseSources = sources.compactMap { source -> CaseMessages.Source? in
            guard let reportID = source.reportID, let eventID = source.eventID else { return nil }
            return .init(messageID: source.messageID, eventType: source.eventType, reportID: reportID, eventID: eventID)
        }
        for (id, message) in try await cases.build(caseSources) { messages[id] = .caseEvent(message) }
        let paymentSources = sources.filter { $0.paymentIntentID != nil }
        if !paymentSources.isEmpty {
            let intents = try await payments.find(ids: paymentSources.compactMap(\.paymentIntentID))
            for source in paymentSources {
                guard let id = source.paymentIntentID, let intent = intents[id] else { continue }
                messages[source.messageID] = .payment(PaymentMessage(messageID: source.messageID, type: source.eventType, intent: intent))
            }
        }
        return messages
    }
}
