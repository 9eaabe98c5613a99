import Foundation

/// Where a council's cases go: a queue its back office pulls from, a webhook we sign and POST
/// to, or the council's own Open311 server.
public struct Destination: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case pull, webhook, open311
        /// The council's messages to people (GOV.UK Notify, alert webhooks): made by the service
        /// on first use, not by operators.
        case notify
    }

    public var id: UUID
    public var council: CouncilRef
    public var name: String
    public var kind: Kind
    /// Cases of categories that name no destination go to the council's default.
    public var isDefault: Bool
    /// The council's revenues destination: paid payment intents are handed off here.
    public var receivesPayments: Bool = false
    /// Webhook URL, or the base of an Open311 endpoint (`…/open311/v2/`). nil for pull.
    public var url: String?
    /// Webhook signing secret (`whsec_…`); the previous one also signs until it expires.
    public var secret: String?
    public var previousSecret: String?
    public var previousSecretExpiresAt: Date?
    public var open311APIKey: String?
    public var open311Jurisdiction: String?
    public var timeoutSeconds: Int
    /// Push: delivery attempts before a job is dead. Pull: receives before a message is dead.
    public var maxAttempts: Int
    /// Pull: how long a received message stays hidden unless the receive asks otherwise.
    public var visibilityTimeoutSeconds: Int
    public var disabledAt: Date?
    public var disabledReason: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        council: CouncilRef,
        name: String,
        kind: Kind,
        isDefault: Bool,
        url: String?,
        secret: String?,
        previousSecret: String?,
        previousSecretExpiresAt: Date?,
        open311APIKey: String?,
        open311Jurisdiction: String?,
        timeoutSeconds: Int,
        maxAttempts: Int,
        visibilityTimeoutSeconds: Int,
        disabledAt: Date?,
        disabledReason: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.council = council
        self.name = name
        self.kind = kind
        self.isDefault = isDefault
        self.url = url
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.open311APIKey = open311APIKey
        self.open311Jurisdiction = open311Jurisdiction
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.visibilityTimeoutSeconds = visibilityTimeoutSeconds
        self.disabledAt = disabledAt
        self.disabledReason = disabledReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    public var definition: DestinationDefinition {
        DestinationDefinition(
            name: name,
            kind: kind,
            isDefault: isDefault,
            url: url,
            open311APIKey: open311APIKey,
            open311Jurisdiction: open311Jurisdiction,
            timeoutSeconds: timeoutSeconds,
            maxAttempts: maxAttempts,
            visibilityTimeoutSeconds: visibilityTimeoutSeconds,
            receivesPayments: receivesPayments
        )
    }

    /// The secrets that sign a message now: the current one, and the previous one until it expires.
    public func signingSecrets(at now: Date = Date()) -> [String] {
        var secrets: [String] = []
        if let secret { secrets.append(secret) }
        if let previousSecret, let expires = previousSecretExpiresAt, expires > now { secrets.append(previousSecret) }
        return secrets
    }
}

/// What an admin or the council's back office sets on a destination.
public struct DestinationDefinition: Sendable, Equatable {
    public var name: String
    public var kind: Destination.Kind
    public var isDefault: Bool
    public var url: String?
    public var open311APIKey: String?
    public var open311Jurisdiction: String?
    public var timeoutSeconds: Int
    public var maxAttempts: Int
    public var visibilityTimeoutSeconds: Int
    public var receivesPayments: Bool

    public static let defaultMaxAttempts = RetrySchedule.standard.maxAttempts

    public init(
        name: String,
        kind: Destination.Kind,
        isDefault: Bool = false,
        url: String? = nil,
        open311APIKey: String? = nil,
        open311Jurisdiction: String? = nil,
        timeoutSeconds: Int = 15,
        maxAttempts: Int = defaultMaxAttempts,
        visibilityTimeoutSeconds: Int = 30,
        receivesPayments: Bool = false
    ) {
        self.receivesPayments = receivesPayments
        self.name = name
        self.kind = kind
        self.isDefault = isDefault
        self.url = url.flatMap { $0.isEmpty ? nil : $0 }
        self.open311APIKey = open311APIKey.flatMap { $0.isEmpty ? nil : $0 }
        self.open311Jurisdiction = open311Jurisdiction.flatMap { $0.isEmpty ? nil : $0 }
        self.timeoutSeconds = timeoutSeconds
        self.maxAttempts = maxAttempts
        self.visibilityTimeoutSeconds = visibilityTimeoutSeconds
    }

    /// `allowHTTP` admits plain-http URLs (local development and tests); otherwise only https.
    /// `checkURL` false leaves a stored URL alone (a change that does not send one), so one
    /// saved under older rules does not stop an operator re-enabling or retuning its destination.
    public func validate(allowHTTP: Bool, checkURL: Bool = true) throws(ValidationFailure) {
        var errors: [FieldError] = []
        if !Self.isValidName(name) {
            errors.append(
                FieldError(
                    pointer: "/name",
                    detail: "must be 1–64 lower-case letters, digits, '-' and '_', starting with a letter or digit",
                    code: "invalid_name"
                )
            )
        }
        switch kind {
        case .pull:
            if url != nil {
                errors.append(
                    FieldError(pointer: "/url", detail: "a pull queue has no URL: the back office reads it through this API", code: "not_allowed")
                )
            }
        case .notify:
            if url != nil || isDefault || receivesPayments {
                errors.append(
                    FieldError(pointer: "/kind", detail: "the notification destination takes no URL, cases or payments", code: "not_allowed")
                )
            }
        case .webhook, .open311:
            if let url {
                if checkURL, let problem = Self.urlProblem(url, allowHTTP: allowHTTP) {
                    errors.append(FieldError(pointer: "/url", detail: problem, code: "invalid_url"))
                }
            } else {
                errors.append(FieldError(pointer: "/url", detail: "is required for a \(kind.rawValue) destination", code: "required"))
            }
        }
        if kind != .open311 && (open311APIKey != nil || open311Jurisdiction != nil) {
            let pointer = open311APIKey != nil ? "/open311_api_key" : "/open311_jurisdiction_id"
            errors.append(FieldError(pointer: pointer, detail: "is only for open311 destinations", code: "not_allowed"))
        }
        if receivesPayments && kind == .open311 {
            errors.append(
                FieldError(pointer: "/receives_payments", detail: "payments go to a pull or webhook destination, not Open311", code: "not_allowed")
            )
        }
        if !(1...60).contains(timeoutSeconds) {
            errors.append(FieldError(pointer: "/timeout_seconds", detail: "must be 1–60", code: "out_of_range"))
        }
        if !(1...50).contains(maxAttempts) {
            errors.append(FieldError(pointer: "/max_attempts", detail: "must be 1–50", code: "out_of_range"))
        }
        if !(0...43_200).contains(visibilityTimeoutSeconds) {
            errors.append(FieldError(pointer: "/visibility_timeout_seconds", detail: "must be 0–43200 (12 hours)", code: "out_of_range"))
        }
        if !errors.isEmpty { throw .validation(errors) }
    }

    public static func isValidName(_ name: String) -> Bool {
        guard (1...64).contains(name.count), let first = name.unicodeScalars.first, first != "_", first != "-" else { return false }
        return name.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
        }
    }

    static func urlProblem(_ text: String, allowHTTP: Bool) -> String? {
        guard text.count <= 2000, let url = URL(string: text), let scheme = url.scheme?.lowercased(),
            let host = url.host, !host.isEmpty
        else { return "must be an absolute URL" }
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            return allowHTTP ? "must be an http or https URL" : "must be an https URL"
        }
        // Exactly the contract's pattern (`URLGrammar.destination`): no user info, no fragment.
        guard text.wholeMatch(of: URLGrammar.destination) != nil else { return "must be a URL of host, port, path and query only" }
        return nil
    }
}

/// Queue figures for operators and the pull API.
public struct QueueStats: Sendable, Equatable {
    public var destinationID: UUID
    public var councilSlug: String
    public var name: String
    public var kind: Destination.Kind
    /// Waiting to be delivered or received (due now or later).
    public var depth: Int
    /// Leased: being delivered, or received and not yet acknowledged.
    public var inFlight: Int
    /// Age of the oldest job not yet finished, in seconds (0 when none).
    public var oldestAgeSeconds: Double
    public var dead: Int
    public var disabled: Bool

    public init(
        destinationID: UUID,
        councilSlug: String,
        name: String,
        kind: Destination.Kind,
        depth: Int,
        inFlight: Int,
        oldestAgeSeconds: Double,
        dead: Int,
        disabled: Bool
    ) {
        self.destinationID = destinationID
        self.councilSlug = councilSlug
        self.name = name
        self.kind = kind
        self.depth = depth
        self.inFlight = inFlight
        self.oldestAgeSeconds = oldestAgeSeconds
        self.dead = dead
        self.disabled = disabled
    }
}

/// One push delivery attempt, as operators see it.
public struct DeliveryAttempt: Sendable, Equatable {
    public var messageID: UUID
    public var eventType: String
    public var attempt: Int
    public var startedAt: Date
    public var durationMilliseconds: Int
    public var outcome: DeliveryOutcome.Kind
    public var statusCode: Int?
    public var responseExcerpt: String?
    public var error: String?

    public init(
        messageID: UUID,
        eventType: String,
        attempt: Int,
        startedAt: Date,
        durationMilliseconds: Int,
        outcome: DeliveryOutcome.Kind,
        statusCode: Int?,
        responseExcerpt: String?,
        error: String?
    ) {
        self.messageID = messageID
        self.eventType = eventType
        self.attempt = attempt
        self.startedAt = startedAt
        self.durationMilliseconds = durationMilliseconds
        self.outcome = outcome
        self.statusCode = statusCode
        self.responseExcerpt = responseExcerpt
        self.error = error
    }
}
