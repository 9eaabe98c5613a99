import Foundation
import IntakeCore
import Logging
import PostgresNIO

/// Staff accounts, their sign-in failures and their sessions.
public struct StaffStore: Sendable {
    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    /// Another account already has this email address.
    public struct EmailTaken: Error, Equatable {}

    static let columns = """
        s.id, s.email, s.name, s.role, s.created_at, s.password_hash, s.failed_logins, s.locked_until,
        c.id AS council_id, c.slug AS council_slug, c.name AS council_name, c.tier AS council_tier
        """

    /// An account with what sign-in needs.
    public struct Stored: Sendable {
        public var account: StaffAccount
        public var passwordHash: String
        public var failedLogins: Int
        public var lockedUntil: Date?
    }

    struct Row: RowDecodable {
        var stored: Stored

        init(columns: RowColumns) throws {
            let tier: String = try columns("council_tier")
            let role: String = try columns("role")
            stored = Stored(
                account: StaffAccount(
                    id: try columns("id"),
                    council: CouncilRef(
                        id: try columns("council_id"),
                        slug: try columns("council_slug"),
                        name: try columns("council_name"),
                        tier: Council.Tier(rawValue: tier) ?? .unitary
                    ),
                    email: try columns("email"),
                    name: try columns("name"),
                    role: StaffAccount.Role(rawValue: role) ?? .caseworker,
                    createdAt: try columns("created_at")
                ),
                passwordHash: try columns("password_hash"),
                failedLogins: try columns("failed_logins"),
                lockedUntil: try columns("locked_until")
            )
        }
    }

    public func create(_ staff: NewStaff, passwordHash: String, councilID: UUID) async throws -> StaffAccount {
        let logger = self.logger
        do {
            return try await database.withConnection { connection in
                let rows = try await connection.query(
                    """
                    WITH created AS (
                        INSERT INTO staff_accounts (council_id, email, name, role, password_hash)
                        VALUES (\(councilID), \(staff.email), \(staff.name.trimmingCharacters(in: .whitespacesAndNewlines)),
                            \(staff.role.rawValue), \(passwordHash))
                        RETURNING *
                    )
                    SELECT \(unescaped: Self.columns) FROM created s JOIN councils c ON c.id = s.council_id
                    """,
                    logger: logger
                )
                guard let row = try await rows.first(Row.self) else { throw NoRowReturned() }
                return row.stored.account
            }
        } catch  where DatabaseErrors.sqlState(error) == "23505" {
            throw EmailTaken()
        }
    }

    public func find(email: String) async throws -> Stored? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM staff_accounts s JOIN councils c ON c.id = s.council_id
                WHERE lower(s.email) = lower(\(email))
                """,
                logger: logger
            )
            return try await rows.first(Row.self)?.stored
        }
    }

    /// Takes one sign-in attempt before the password is checked, in one statement, so parallel
    /// attempts cannot all pass a check made before any is counted: false when the account is
    /// locked. Attempts count while recent (within `lockoutSeconds` of the last) and from zero
    /// after a lock-out ends; the `maxAttempts`th locks the account for `lockoutSeconds`. A
    /// successful sign-in forgets them (`startSession`).
    public func takeAttempt(staffID: UUID, maxAttempts: Int, lockoutSeconds: Int) async throws -> Bool {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH counted AS (
                    SELECT id, CASE WHEN last_failed_at IS NULL OR last_failed_at < now() - make_interval(secs => \(lockoutSeconds))
                                         OR (locked_until IS NOT NULL AND locked_until <= now())
                                    THEN 1 ELSE failed_logins + 1 END AS attempts
                    FROM staff_accounts
                    WHERE id = \(staffID) AND (locked_until IS NULL OR locked_until <= now())
                    FOR UPDATE
                )
                UPDATE staff_accounts s SET failed_logins = counted.attempts, last_failed_at = now(), updated_at = now(),
                    locked_until = CASE WHEN counted.attempts >= \(maxAttempts) THEN now() + make_interval(secs => \(lockoutSeconds)) END
                FROM counted WHERE s.id = counted.id
                RETURNING s.id
                """,
                logger: logger
            )
            return try await rows.decode(UUID.self).first(where: { _ in true }) != nil
        }
    }

    /// A successful sign-in: failures forgotten, and a session (its token stored as SHA-256).
    /// Only while the password checked is still the account's (`checkedHash`): a reset that
    /// lands during the check ends sessions that this one must not outlive. False if it changed.
    public func startSession(staffID: UUID, checkedHash: String, tokenHash: [UInt8], lifetimeSeconds: Int) async throws -> Bool {
        let logger = self.logger
        return try await database.withTransaction { connection in
            let current = try await connection.query(
                """
                UPDATE staff_accounts SET failed_logins = 0, last_failed_at = NULL, locked_until = NULL, last_login_at = now(),
                    updated_at = now()
                WHERE id = \(staffID) AND password_hash = \(checkedHash)
                RETURNING id
                """,
                logger: logger
            )
            guard try await current.decode(UUID.self).first(where: { _ in true }) != nil else { return false }
            _ = try await connection.query(
                """
                INSERT INTO staff_sessions (token_hash, staff_id, expires_at)
                VALUES (\(Data(tokenHash)), \(staffID), now() + make_interval(secs => \(lifetimeSeconds)))
                """,
                logger: logger
            )
            return true
        }
    }

    /// The account of an unexpired session.
    public func session(tokenHash: [UInt8]) async throws -> StaffAccount? {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                SELECT \(unescaped: Self.columns) FROM staff_sessions x
                JOIN staff_accounts s ON s.id = x.staff_id JOIN councils c ON c.id = s.council_id
                WHERE x.token_hash = \(Data(tokenHash)) AND x.expires_at > now()
                """,
                logger: logger
            )
            return try await rows.first(Row.self)?.stored.account
        }
    }

    public func endSession(tokenHash: [UInt8]) async throws {
        let logger = self.logger
        try await database.withConnection { connection in
            _ = try await connection.query("DELETE FROM staff_sessions WHERE token_hash = \(Data(tokenHash))", logger: logger)
        }
    }

    /// Expired sessions, a batch at a time (housekeeping).
    public func pruneSessions(batch: Int = 5000) async throws -> Int {
        let logger = self.logger
        return try await database.withConnection { connection in
            let rows = try await connection.query(
                """
                WITH gone AS (
                    DELETE FROM staff_sessions WHERE token_hash IN (
                        SELECT token_hash FROM staff_sessions WHERE expires_at < now() LIMIT \(batch))
                    RETURNING 1
                )
                SELECT count(*)::int FROM gone
                """,
                logger: logger
            )
            return try await rows.decode(Int.self).first(where: { _ in true }) ?? 0
        }
    }
}
