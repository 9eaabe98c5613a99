import Foundation

/// What one push attempt achieved, as the sender saw it.
public struct DeliveryResult: Sendable, Equatable {
    /// nil when no HTTP answer arrived (connection refused, timeout, TLS failure…).
    public var statusCode: Int?
    public var retryAfterSeconds: Double?
    /// The start of the response body, for operators.
    public var responseExcerpt: String?
    /// Why no usable answer arrived, or what was wrong with it.
    public var error: String?
    public var timedOut: Bool
    public var durationMilliseconds: Int
    /// Open311: what the council's server answered.
    public var answer: Open311Outbound.Answer?
    /// The receiver's id for what it accepted (GOV.UK Notify's notification id).
    public var providerID: String?
    /// The receiver refused for good (Notify's 400 and 403): retrying cannot succeed.
    public var refused: Bool = false
    /// Why nothing was sent, when nothing should be (an erased address, an unsubscribed
    /// recipient, a council that stopped sending): the job ends without a call.
    public var skipReason: String?

    public init(
        statusCode: Int?,
        retryAfterSeconds: Double? = nil,
        responseExcerpt: String? = nil,
        error: String? = nil,
        timedOut: Bool = false,
        durationMilliseconds: Int,
        answer: Open311Outbound.Answer? = nil,
        providerID: String? = nil,
        refused: Bool = false,
        skipReason: String? = nil
    ) {
        self.providerID = providerID
        self.refused = refused
        self.skipReason = skipReason
        self.statusCode = statusCode
        self.retryAfterSeconds = retryAfterSeconds
        self.responseExcerpt = responseExcerpt
        self.error = error
        self.timedOut = timedOut
        self.durationMilliseconds = durationMilliseconds
        self.answer = answer
    }

    public var isSuccess: Bool { statusCode.map { (200..<300).contains($0) } ?? false }

    /// `Retry-After` as seconds or an HTTP date.
    public static func retryAfter(_ header: String?, now: Date = Date()) -> Double? {
        guard let header = header?.trimmingCharacters(in: .whitespaces), !header.isEmpty else { return nil }
        if let seconds = Double(header) { return max(seconds, 0) }
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "GMT")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss zzz"
        return formatter.date(from: header).map { max($0.timeIntervalSince(now), 0) }
    }
}

/// What becomes of a job after an attempt.
public struct DeliveryOutcome: Sendable, Equatable {
    public enum Kind: String, Sendable, Codable {
        /// Accepted by the back office: the job is done.
        case delivered
        /// Failed; tried again later.
        case retry
        /// Failed for the last time: the job is dead until an operator redrives it.
        case dead
        /// The webhook answered 410 Gone: the destination is disabled and the job waits for it.
        case gone
        /// The Open311 server answered with a token: resolved on the next attempt.
        case awaitingToken = "awaiting_token"
        /// Nothing to send any more (see `DeliveryResult.skipReason`): the job is done.
        case skipped
    }

    public var kind: Kind
    /// Seconds until the next attempt (retry, awaitingToken).
    public var delaySeconds: Double
    public var error: String?

    public init(kind: Kind, delaySeconds: Double, error: String?) {
        self.kind = kind
        self.delaySeconds = delaySeconds
        self.error = error
    }

    /// Decides from an attempt's result. `attempt` is 1-based; `maxAttempts` is the
    /// destination's limit.
    public static func decide(
        _ result: DeliveryResult,
        attempt: Int,
        maxAttempts: Int,
        schedule: RetrySchedule,
        using random: inout some RandomNumberGenerator
    ) -> DeliveryOutcome {
        if let reason = result.skipReason {
            return DeliveryOutcome(kind: .skipped, delaySeconds: 0, error: reason)
        }
        if result.statusCode == 410 {
            return DeliveryOutcome(kind: .gone, delaySeconds: 0, error: "the endpoint answered 410 Gone")
        }
        if result.isSuccess && result.error == nil {
            if let answer = result.answer, answer.serviceRequestID == nil, answer.token != nil {
                guard attempt < maxAttempts else {
                    return DeliveryOutcome(kind: .dead, delaySeconds: 0, error: "the Open311 token never resolved to a request id")
                }
                return DeliveryOutcome(kind: .awaitingToken, delaySeconds: 2, error: nil)
            }
            return DeliveryOutcome(kind: .delivered, delaySeconds: 0, error: nil)
        }
        let error = result.error ?? "HTTP \(result.statusCode.map(String.init) ?? "error")"
        guard attempt < maxAttempts, !result.refused else { return DeliveryOutcome(kind: .dead, delaySeconds: 0, error: error) }
        let slowDown = result.timedOut || [429, 502, 504].contains(result.statusCode ?? 0)
        let delay = schedule.delay(
            afterAttempt: attempt,
            retryAfter: result.retryAfterSeconds,
            slowDown: slowDown,
            using: &random
        )
        return DeliveryOutcome(kind: .retry, delaySeconds: delay, error: error)
    }
}
