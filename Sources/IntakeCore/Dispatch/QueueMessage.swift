import Foundation

/// Anything the dispatch queue carries to a back office.
public enum QueueMessage: Sendable, Equatable {
    case caseEvent(CaseMessage)
    case payment(PaymentMessage)

    /// Also the `webhook-id`: stable across retries.
    public var messageID: String {
        switch self {
        case .caseEvent(let message): message.messageID
        case .payment(let message): message.messageID
        }
    }

    /// The JSON body a webhook sends (and a pull payload holds).
    public func encoded() throws -> [UInt8] {
        switch self {
        case .caseEvent(let message): Array(try CaseMessage.encoder.encode(message))
        case .payment(let message): Array(try CaseMessage.encoder.encode(message))
        }
    }
}
