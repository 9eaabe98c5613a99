import Foundation
import Synchronization

/// A quota: at most `quota` requests per `window` seconds for each caller (a key or an IP).
public struct RateLimitPolicy: Sendable, Equatable {
    /// Names the policy in the `RateLimit-Policy` and `RateLimit` headers.
    public var name: String
    public var quota: Int
    public var windowSeconds: Int

    public init(name: String, quota: Int, windowSeconds: Int = 60) {
        self.name = name
        self.quota = quota
        self.windowSeconds = windowSeconds
    }

    /// `RateLimit-Policy` (draft-ietf-httpapi-ratelimit-headers): `"writes";q=600;w=60`.
    public var header: String { "\"\(name)\";q=\(quota);w=\(windowSeconds)" }
}

/// What the limiter decided for one request.
public struct RateLimitDecision: Sendable, Equatable {
    public var allowed: Bool
    /// Requests left now.
    public var remaining: Int
    /// Seconds until the whole quota is available again.
    public var resetSeconds: Int
    /// Seconds to wait before a refused request can succeed (`Retry-After`); 0 when allowed.
    public var retryAfterSeconds: Int

    /// `RateLimit`: `"writes";r=12;t=30`.
    public func header(_ policy: RateLimitPolicy) -> String { "\"\(policy.name)\";r=\(remaining);t=\(resetSeconds)" }
}

/// Counts requests per caller in this process, as a generic cell rate algorithm (a token
/// bucket that refills smoothly: a caller may use the whole quota at once, and then one more
/// request each window/quota seconds). Each instance of the service counts on its own, so N
/// instances behind a load balancer admit up to N times a quota in all.
public final class RateLimiter: Sendable {
    public let policy: RateLimitPolicy
    private let interval: Double
    private let state = Mutex(State())
    /// Callers forgotten once their bucket is full again; swept every so many decisions.
    private static let sweepEvery = 4096

    struct State {
        /// When each caller's bucket will be full again ("theoretical arrival time").
        var fullAt: [String: Double] = [:]
        var decisions = 0
    }

    public init(policy: RateLimitPolicy) {
        self.policy = policy
        self.interval = Double(policy.windowSeconds) / Double(max(policy.quota, 1))
    }

    /// Counts one request by `caller` at `now` (seconds on any steady clock) if it is allowed.
    public func take(_ caller: String, now: Double = RateLimiter.now()) -> RateLimitDecision {
        let window = Double(policy.windowSeconds)
        let interval = self.interval
        return state.withLock { state in
            state.decisions += 1
            if state.decisions % Self.sweepEvery == 0 { state.fullAt = state.fullAt.filter { $0.value > now } }
            let fullAt = max(state.fullAt[caller] ?? now, now)
            let next = fullAt + interval
            if next - now > window + 1e-9 {
                // Refused: the bucket has no token; one comes back after `next - window - now`.
                let wait = next - window - now
                return RateLimitDecision(
                    allowed: false,
                    remaining: 0,
                    resetSeconds: Int((fullAt - now).rounded(.up)),
                    retryAfterSeconds: max(1, Int(wait.rounded(.up)))
                )
            }
            state.fullAt[caller] = next
            let remaining = Int(((window - (next - now)) / interval + 1e-9).rounded(.down))
            return RateLimitDecision(
                allowed: true,
                remaining: max(0, remaining),
                resetSeconds: Int((next - now).rounded(.up)),
                retryAfterSeconds: 0
            )
        }
    }

    /// Seconds on the system's monotonic clock.
    public static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }
}
