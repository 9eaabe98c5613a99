import Foundation

/// A payment as its provider reports it, in GOV.UK Pay's vocabulary (the sandbox speaks it too):
/// status created, started, submitted, capturable, success, failed, cancelled or error;
/// `finished` once nothing more will happen; a failure code P0010…P0050.
public struct ProviderStatus: Sendable, Equatable {
    public var status: String
    public var finished: Bool
    public var code: String?

    public init(status: String, finished: Bool, code: String? = nil) {
        self.status = status
        self.finished = finished
        self.code = code
    }

    /// The state an intent should reach because of this status; nil while the payer is still
    /// paying (the intent stays pending).
    public var settledState: PaymentState? {
        switch status {
        case "success": return .succeeded
        case "cancelled": return .cancelled
        case "failed", "error":
            switch code {
            case "P0020": return .expired
            case "P0030", "P0040": return .cancelled
            default: return .failed
            }
        default:
            return finished ? .failed : nil
        }
    }
}
