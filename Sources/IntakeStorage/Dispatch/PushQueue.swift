import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// The push side of the dispatch queue: the worker claims due jobs for webhook and Open311
/// destinations, delivers them outside any transaction, and records the outcomes as the calls
/// end, those that end together in one statement.
///
/// A claim leases a job: state `running`, a new receipt, `run_at` = when the lease expires. A
/// job whose lease expires (its worker died) is claimable again, or dead if that was its last
/// attempt. Only the holder of the current receipt can complete a job, so a worker that lost
/// its lease cannot overwrite the outcome of the one that took over.
public struct PushQueue: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    public struct Job: Sendable, Equatable {
        public var id: Int64
        public var messageID: UUID
        public var receipt: UUID
        public var eventType: String
        /// 1-based: this is the job's `attempt`th try.
        public var attempt: Int
        /// A case event's job has a report and event; a payment hand-off has an intent.
        public var reportID: UUID?
        public var eventID: Int64?
        public var paymentIntentID: UUID?
        /// A message to a person (GOV.UK Notify, an alert webhook).
        public var notificationID: UUID?
        public var destinationID: UUID
        public var open311Token: String?
    }

    /// Claims up to `limit` due jobs of enabled push destinations, at most one per case, oldest
    /// first, each leased for `lease`. A destination gets at most `perDestination` less the calls
    /// the caller has in flight to it (`inFlight`), so one whose calls hang cannot take all of a
    /// worker's slots; its jobs beyond that stay due for the next claim.
    /// The lease is the destination's timeout plus `leaseMargin` seconds: long enough to finish
    /// and record the attempt, short enough that a crashed worker's jobs come back soon.
    public func claim(
        limit: Int,
        leaseMargin: Double,
        workerID: String,
        perDestination: Int = .max,
        inFlight: [UUID: Int] = [:]
    ) async throws -> [Job] {
        let logger = self.logger
        let leaseSeconds = "d.timeout_seconds + \(String(format: "%.3f", max(leaseMargin, 0)))"
        let holder = "'" + String(workerID.unicodeScalars.filter(Self.isSafeInHolder).prefix(100).map(Character.init)) + "'"
        let busyIDs = Array(inFlight.keys)
        let busyRooms = busyIDs.map { perDestination - inFlight[$0, default: 0] }
        return try await database.withConnection { connection in
            // Destination by destination (each through its queue index): the oldest claimable
            // jobs of each push destination with room, up to its room, locked (skipping those
            // another worker is locking); then the oldest of those overall. Scanning the due jobs
            // of all destinations in one order instead read past every job of a destination whose
            // room was used up (a backlog of 20,000 messages to one council's Notify made each
            // claim cost 25-50 ms for nothing). Rows locked but not kept are let go when the
            // statement ends, untouched.
            let rows = try await connection.query(
                """
                WITH busy AS (
                    SELECT * FROM unnest(\(busyIDs)::uuid[], \(busyRooms)::int8[]) AS b(destination_id, room)
                ), due AS (
                    SELECT x.id, x.run_at FROM destinations d
                    LEFT JOIN busy b ON b.destination_id = d.id
                    CROSS JOIN LATERAL (
                        SELECT j.id, j.run_at FROM dispatch_jobs j
                        WHERE j.destination_id = d.id AND j.state IN ('pending', 'running') AND j.run_at <= now()
                          AND NOT EXISTS (
                              SELECT 1 FROM dispatch_jobs e
                              WHERE e.group_key = j.group_key AND e.id < j.id AND e.state IN ('pending', 'running'))
                        ORDER BY j.run_at, j.id
                        LIMIT LEAST(COALESCE(b.room, \(perDestination)), \(limit))
                        FOR UPDATE OF j SKIP LOCKED
                    ) x
                    WHERE d.kind <> 'pull' AND d.disabled_at IS NULL AND COALESCE(b.room, \(perDestination)) > 0
                ), candidates AS (
                    SELECT id FROM due ORDER BY run_at, id LIMIT \(limit)
                ), claimed AS (
                    \(unescaped: Self.leaseUpdate(seconds: leaseSeconds, holder: holder))
                )
                SELECT id, message_id, receipt, event_type, attempts, report_id, event_id, destination_id, open311_token,
                       payment_intent_id, notification_id
                FROM claimed WHERE state = 'running'
                ORDER BY id
                """,
                logger: logger
            )
            var jobs: [Job] = []
            for row in try await rows.collect(ClaimedRow.self) {
                jobs.append(
                    Job(
                        id: row.id,
                        messageID: row.messageID,
                        receipt: row.receipt,
                        eventType: row.eventType,
                        attempt: row.attempts,
                        reportID: row.reportID,
                        eventID: row.eventID,
                        paymentIntentID: row.paymentIntentID,
                        notificationID: row.notificationID,
                        destinationID: row.destinationID,
                        open311Token: row.open311Token
                    )
                )
            }
            return jobs
        }
    }

    struct ClaimedRow: RowDecodable {
        var id: Int64
        var messageID: UUID
        var receipt: UUID
        var eventType: String
        var attempts: Int
        var reportID: UUID?
        var eventID: Int64?
        var destinationID: UUID
        var open311Token: String?
        var paymentIntentID: UUID?
        var notificationID: UUID?

        init(columns: RowColumns) throws {
            id = try columns("id")
            messageID = try columns("message_id")
            receipt = try columns("receipt")
            eventType = try columns("event_type")
            attempts = try columns("attempts")
            reportID = try columns("report_id")
            eventID = try columns("event_id")
            destinationID = try columns("destination_id")
            open311Token = try columns("open311_token")
            paymentIntentID = try columns("payment_intent_id")
            notificationID = try columns("notification_id")
        }
    }

    /// The UPDATE that leases the `candidates` rows (shared with pull receives): a job whose
    /// expired lease was its last allowed attempt becomes dead instead of being handed out.
    /// `seconds` and `holder` are SQL expressions: placeholders of a prepared statement, or
    /// text the caller built from numbers and a holder name reduced to safe characters.
    static func leaseUpdate(seconds: String, holder: String) -> String {
        """
        UPDATE dispatch_jobs j SET
            state = CASE WHEN j.state = 'running' AND j.attempts >= d.max_attempts THEN 'dead' ELSE 'running' END,
            attempts = CASE WHEN j.state = 'running' AND j.attempts >= d.max_attempts THEN j.attempts ELSE j.attempts + 1 END,
            finished_at = CASE WHEN j.state = 'running' AND j.attempts >= d.max_attempts THEN now() END,
            last_error = CASE WHEN j.state = 'running' AND j.attempts >= d.max_attempts
                THEN 'the last attempt or receive ended without an answer' ELSE j.last_error END,
            run_at = now() + make_interval(secs => (\(seconds))::float8),
            receipt = gen_random_uuid(),
            locked_by = \(holder)
        FROM candidates c, destinations d
        WHERE j.id = c.id AND d.id = j.destination_id
        RETURNING j.*
        """
    }

    static func isSafeInHolder(_ scalar: Unicode.Scalar) -> Bool {
        ("a"..."z").contains(scalar) || ("A"..."Z").contains(scalar) || ("0"..."9").contains(scalar) || ".-_:".unicodeScalars.contains(scalar)
    }

    /// One finished attempt, reported by the worker.
    public struct Completion: Sendable {
        public var job: Job
        public var outcome: DeliveryOutcome
        public var result: DeliveryResult
        public var startedAt: Date

        public init(job: Job, outcome: DeliveryOutcome, result: DeliveryResult, startedAt: Date) {
            self.job = job
            self.outcome = outcome
            self.result = result
            self.startedAt = startedAt
        }
    }

    /// Records a batch of outcomes in one statement: job states, the attempt log, `dispatched`
    /// timeline events, Open311 references and tokens, and disabling destinations that answered
    /// 410. Returns the ids of the jobs it completed (those whose lease was still held).
    /// Safe to repeat after a lost answer: the receipt check makes a second run a no-op.
    @discardableResult
    public func complete(_ completions: [Completion]) async throws -> [Int64] {
        guard !completions.isEmpty else { return [] }
        let logger = self.logger
        let ids = completions.map(\.job.id)
        let receipts = completions.map(\.job.receipt)
        let states = completions.map { Self.state(after: $0.outcome.kind) }
        let delays = completions.map(\.outcome.delaySeconds)
        let errors = completions.map { $0.outcome.error ?? "" }
        let references = completions.map { $0.result.answer?.serviceRequestID ?? "" }
        let tokens = completions.map { $0.result.answer?.token ?? "" }
        let outcomes = completions.map(\.outcome.kind.rawValue)
        let startedAt = completions.map(\.startedAt)
        let durations = completions.map(\.result.durationMilliseconds)
        let statusCodes = completions.map { $0.result.statusCode ?? -1 }
        let excerpts = completions.map { $0.result.responseExcerpt ?? "" }
        let providerIDs = completions.map { $0.result.providerID ?? "" }
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH input AS (
                    SELECT * FROM unnest(\(ids)::int8[], \(receipts)::uuid[], \(states)::text[], \(delays)::float8[],
                        \(errors)::text[], \(references)::text[], \(tokens)::text[], \(outcomes)::text[],
                        \(startedAt)::timestamptz[], \(durations)::int8[], \(statusCodes)::int8[], \(excerpts)::text[],
                        \(providerIDs)::text[])
                    AS t(id, receipt, state, delay, error, reference, token, outcome, started_at, duration, status_code, excerpt,
                        provider_id)
                ), updated AS (
                    UPDATE dispatch_jobs j SET state = i.state,
                        run_at = now() + make_interval(secs => i.delay),
                        finished_at = CASE WHEN i.state IN ('done', 'dead') THEN now() END,
                        last_error = NULLIF(i.error, ''),
                        open311_token = COALESCE(NULLIF(i.token, ''), j.open311_token)
                    FROM input i
                    WHERE j.id = i.id AND j.receipt = i.receipt AND j.state = 'running'
                    RETURNING j.id, j.report_id, j.event_type, j.state, j.destination_id, j.message_id, j.attempts, j.notification_id
                ), references_set AS (
                    UPDATE reports r SET external_reference = i.reference, updated_at = now()
                    FROM updated u JOIN input i ON i.id = u.id
                    WHERE r.id = u.report_id AND i.reference <> '' AND u.event_type = 'case.created'
                      AND r.external_reference IS DISTINCT FROM i.reference
                ), events AS (
                    INSERT INTO report_events (report_id, kind, actor)
                    SELECT report_id, 'dispatched', 'system' FROM updated WHERE state = 'done' AND event_type = 'case.created'
                ), disabled AS (
                    UPDATE destinations d SET disabled_at = now(), updated_at = now(),
                        disabled_reason = 'the endpoint answered 410 Gone'
                    FROM updated u JOIN input i ON i.id = u.id
                    WHERE d.id = u.destination_id AND i.outcome = 'gone' AND d.disabled_at IS NULL AND u.notification_id IS NULL
                ), messages AS (
                    -- A message Notify accepted is `sending` until its delivery receipt; a webhook's
                    -- 2xx is its delivery. A receipt that came first is not overwritten.
                    UPDATE notifications n SET updated_at = now(),
                        state = CASE WHEN i.outcome = 'skipped' THEN 'skipped'
                                     WHEN u.state = 'dead' THEN 'failed'
                                     WHEN n.channel = 'webhook' THEN 'delivered'
                                     ELSE 'sending' END,
                        state_reason = NULLIF(i.error, ''),
                        provider_id = COALESCE(NULLIF(i.provider_id, ''), n.provider_id)
                    FROM updated u JOIN input i ON i.id = u.id
                    WHERE n.id = u.notification_id AND u.state IN ('done', 'dead') AND n.state IN ('queued', 'failed')
                ), gone_subscriptions AS (
                    -- A subscriber's endpoint that answers 410 Gone has unsubscribed.
                    UPDATE alert_subscriptions s SET state = 'unsubscribed', unsubscribed_at = now()
                    FROM updated u JOIN input i ON i.id = u.id JOIN notifications n ON n.id = u.notification_id
                    WHERE s.id = n.subscription_id AND i.status_code = 410 AND s.state <> 'unsubscribed'
                ), attempts AS (
                    INSERT INTO dispatch_attempts (destination_id, message_id, event_type, attempt, started_at, duration_ms,
                        outcome, status_code, response_excerpt, error)
                    SELECT u.destination_id, u.message_id, u.event_type, u.attempts, i.started_at, i.duration, i.outcome,
                        NULLIF(i.status_code, -1), NULLIF(i.excerpt, ''), NULLIF(i.error, '')
                    FROM updated u JOIN input i ON i.id = u.id
                )
                SELECT id FROM updated
                """,
                logger: logger
            )
            var done: [Int64] = []
            for try await id in rows.decode(Int64.self) { done.append(id) }
            return done
        }
    }

    static func state(after outcome: DeliveryOutcome.Kind) -> String {
        switch outcome {
        case .delivered, .skipped: "done"
        case .dead: "dead"
        // A 410 leaves the job waiting for the destination to be enabled again.
        case .retry, .gone, .awaitingToken: "pending"
        }
    }

    /// Deletes finished jobs after `doneAfter` and attempt records after `attemptsAfter`, a
    /// batch at a time. Dead jobs stay until redriven. Returns rows deleted.
    public func prune(
        doneAfter: Duration = .seconds(86_400),
        attemptsAfter: Duration = .seconds(7 * 86_400),
        batch: Int = 5000
    )
        async throws -> Int
    {
        let logger = self.logger
        let doneSeconds = Double(doneAfter.components.seconds)
        let attemptSeconds = Double(attemptsAfter.components.seconds)
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH jobs AS (
                    DELETE FROM dispatch_jobs WHERE id IN (
                        SELECT id FROM dispatch_jobs
                        WHERE state = 'done' AND finished_at < now() - make_interval(secs => \(doneSeconds))
                        LIMIT \(batch))
                    RETURNING 1
                ), attempts AS (
                    DELETE FROM dispatch_attempts WHERE id IN (
                        SELECT id FROM dispatch_attempts
                        WHERE started_at < now() - make_interval(secs => \(attemptSeconds))
                        LIMIT \(batch))
                    RETURNING 1
                )
                SELECT (SELECT count(*) FROM jobs)::int + (SELECT count(*) FROM attempts)::int
                """,
                logger: logger
            )
            for try await count in rows.decode(Int.self) { return count }
            return 0
        }
    }
}
