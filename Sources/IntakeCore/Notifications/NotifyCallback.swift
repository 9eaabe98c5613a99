import Foundation

/// What GOV.UK Notify calls back with: a delivery receipt for a message we sent (its
/// `reference` is our message id), or a text message someone sent to the council's number.
public enum NotifyCallback {
    /// A delivery receipt's status. `sending`/`created` receipts are not sent by Notify; only
    /// the final states are.
    public enum Status: String, Sendable, CaseIterable {
        case delivered
        case permanentFailure = "permanent-failure"
        case temporaryFailure = "temporary-failure"
        case technicalFailure = "technical-failure"
    }

    public struct Receipt: Sendable, Equatable {
        public var notifyID: String
        /// Our message id, as we sent it in `reference`.
        public var messageID: UUID
        public var status: Status
        public var notificationType: String?
    }

    public struct ReceivedText: Sendable, Equatable {
        public var sourceNumber: String
        public var message: String
    }

    public enum Malformed: Error, Equatable {
        case notJSON
        case missing(String)
        case invalid(String)
    }

    /// A delivery receipt: `id`, `reference` (our message id), `status`; other fields ignored.
    public static func receipt(from body: [UInt8]) throws(Malformed) -> Receipt {
        let object = try object(body)
        guard let id = object["id"] as? String else { throw .missing("id") }
        guard isPlain(id, upTo: 200) else { throw .invalid("id") }
        guard let reference = object["reference"] as? String else { throw .missing("reference") }
        guard let messageID = UUID(uuidString: reference) else { throw .invalid("reference") }
        guard let statusText = object["status"] as? String else { throw .missing("status") }
        guard let status = Status(rawValue: statusText) else { throw .invalid("status") }
        return Receipt(notifyID: id, messageID: messageID, status: status, notificationType: object["notification_type"] as? String)
    }

    /// A received text: `source_number` and `message`.
    public static func receivedText(from body: [UInt8]) throws(Malformed) -> ReceivedText {
        let object = try object(body)
        guard let source = object["source_number"] as? String, !source.isEmpty else { throw .missing("source_number") }
        guard isPlain(source, upTo: 50) else { throw .invalid("source_number") }
        guard let message = object["message"] as? String else { throw .missing("message") }
        return ReceivedText(sourceNumber: source, message: message)
    }

    /// Short, and free of control characters (PostgreSQL text cannot hold NUL).
    static func isPlain(_ text: String, upTo limit: Int) -> Bool {
        text.unicodeScalars.count <= limit && !text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static func object(_ body: [UInt8]) throws(Malformed) -> [String: Any] {
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(body)), let object = parsed as? [String: Any] else {
            throw .notJSON
        }
        return object
    }

    /// The words that stop texts, as UK mobile senders honour them, alone or first in the message.
    static let stopWords: Set<String> = ["STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT"]

    public static func isStop(_ message: String) -> Bool {
        let first = message.trimmingCharacters(in: .whitespacesAndNewlines).split(whereSeparator: { $0.isWhitespace || $0.isPunctuation })
            .first.map { $0.uppercased() }
        return first.map(stopWords.contains) ?? false
    }
}
