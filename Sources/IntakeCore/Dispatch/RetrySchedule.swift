/// When a failed push delivery is tried again.
///
/// The standard schedule follows Standard Webhooks / Svix: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h,
/// 14 h, 20 h, 24 h after successive failures — ten attempts over about 3 days 3 hours — each
/// delay with ±20 % jitter so a recovering receiver is not hit by every retry at once.
public struct RetrySchedule: Sendable, Equatable {
    /// Seconds to wait after the 1st, 2nd, … failed attempt; the last repeats if a destination
    /// allows more attempts than listed.
    public var delays: [Double]
    public var jitter: Double

    public init(delays: [Double], jitter: Double = 0.2) {
        precondition(!delays.isEmpty)
        self.delays = delays
        self.jitter = jitter
    }

    public static let standard = RetrySchedule(delays: [5, 300, 1800, 7200, 18_000, 36_000, 50_400, 72_000, 86_400])

    /// Attempts in all: the first try plus one per listed delay.
    public var maxAttempts: Int { delays.count + 1 }

    /// Seconds from the first attempt to the last, without jitter.
    public var span: Double { delays.reduce(0, +) }

    /// The wait after failed attempt `attempt` (1-based).
    ///
    /// - `retryAfter`: the receiver's `Retry-After`, honoured (never retried sooner than it asks)
    ///   but capped at a day so a typo cannot park a case for a year.
    /// - `slowDown`: rate limiting or a timeout; waits at least 60 s.
    public func delay(
        afterAttempt attempt: Int,
        retryAfter: Double? = nil,
        slowDown: Bool = false,
        using random: inout some RandomNumberGenerator
    ) -> Double {
        let base = delays[min(max(attempt, 1), delays.count) - 1]
        var delay = base * Double.random(in: (1 - jitter)...(1 + jitter), using: &random)
        if slowDown { delay = max(delay, 60) }
        if let retryAfter, retryAfter > 0 { delay = max(delay, min(retryAfter, 86_400)) }
        return delay
    }

    public func delay(afterAttempt attempt: Int, retryAfter: Double? = nil, slowDown: Bool = false) -> Double {
        var random = SystemRandomNumberGenerator()
        return delay(afterAttempt: attempt, retryAfter: retryAfter, slowDown: slowDown, using: &random)
    }
}
