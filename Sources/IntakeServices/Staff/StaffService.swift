import Foundation
import HummingbirdBcrypt
import IntakeCore
import IntakeStorage
import NIOPosix

/// Council staff: accounts (bcrypt-hashed passwords), sign-in with lock-out after repeated
/// failures, and sessions whose cookie token is stored only as its SHA-256.
public struct StaffService: Sendable {
    let store: StaffStore
    /// Reads the tokens of password reset links.
    let links: NotificationLinks
    /// bcrypt's cost: 12 in service (about a quarter of a second a hash), lower only in tests.
    let bcryptCost: UInt8

    public init(store: StaffStore, links: NotificationLinks, bcryptCost: UInt8 = 12) {
        self.store = store
        self.links = links
        self.bcryptCost = bcryptCost
    }

    public enum Refusal: Error, Equatable {
        case emailTaken
    }

    public func create(_ staff: NewStaff, councilID: UUID) async throws -> StaffAccount {
        try staff.validate()
        let hash = try await hash(staff.password)
        do {
            return try await store.create(staff, passwordHash: hash, councilID: councilID)
        } catch is StaffStore.EmailTaken {
            throw Refusal.emailTaken
        }
    }

    public enum SignIn: Sendable, Equatable {
        /// Signed in: the session token for the cookie (shown only here).
        case signedIn(token: String, account: StaffAccount)
        /// Wrong email or password (which one is not said).
        case refused
        /// Too many failures in a row: no password counts until the lock-out ends.
        case locked
    }

    /// A hash to compare against when no account has the email, so that answering takes as
    /// long as for a real account and does not tell which addresses have one.
    static let decoy = Bcrypt.hash("not a password of anyone's", cost: 12)

    public func signIn(email: String, password: String) async throws -> SignIn {
        // Text PostgreSQL cannot hold is no one's address.
        guard let stored = email.unicodeScalars.contains(where: { $0.value == 0 }) ? nil : try await store.find(email: email) else {
            _ = await Self.verify(password, hash: Self.decoy)
            return .refused
        }
        // Counted before the hash is checked (parallel guesses cannot slip past the limit); a
        // locked account pays for a hash too, so its answer takes as long as any other.
        let allowed = try await store.takeAttempt(
            staffID: stored.account.id,
            maxAttempts: SignInRules.maxFailures,
            lockoutSeconds: Int(SignInRules.lockout.components.seconds)
        )
        let matches = await Self.verify(password, hash: stored.passwordHash)
        guard allowed else { return .locked }
        guard matches else { return .refused }
        let token = Secrets.randomHex(bytes: 32)
        let started = try await store.startSession(
            staffID: stored.account.id,
            checkedHash: stored.passwordHash,
            tokenHash: Secrets.sha256(token),
            lifetimeSeconds: Int(SignInRules.sessionLifetime.components.seconds)
        )
        // The password was reset while it was being checked: the old one no longer signs in.
        guard started else { return .refused }
        return .signedIn(token: token, account: stored.account)
    }

    /// bcrypt on NIO's blocking pool: a quarter of a second of CPU must not hold one of the
    /// threads every request's task runs on.
    static func verify(_ password: String, hash: String) async -> Bool {
        (try? await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }) ?? false
    }

    /// The account signed in with this session token, while the session lasts.
    public func session(token: String) async throws -> StaffAccount? {
        try await store.session(tokenHash: Secrets.sha256(token))
    }

    public func signOut(token: String) async throws { try await store.endSession(tokenHash: Secrets.sha256(token)) }

    func hash(_ password: String) async throws -> String {
        let cost = bcryptCost
        return try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: cost) }
    }

    // MARK: Password resets

    /// Asks for a reset link by email. What happened is for the logs and tests only: the
    /// console answers the same whatever it is, so asking tells nobody which addresses have
    /// accounts or which councils send email.
    public func requestReset(email: String) async throws -> StaffStore.ResetRequest {
        let email = email.trimmingCharacters(in: .whitespaces)
        guard Self.isAddress(email) else { return .noAccount }
        return try await store.requestReset(
            email: email,
            lifetimeSeconds: Int(SignInRules.resetLifetime.components.seconds),
            maxPerHour: SignInRules.maxResetsPerHour
        )
    }

    /// Something that could be an account's address: no control characters (PostgreSQL cannot
    /// hold NUL), at most 254 characters.
    public static func isAddress(_ email: String) -> Bool {
        TextRules.looksLikeEmail(email) && email.unicodeScalars.count <= 254
            && !email.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
    }

    /// The account a reset link may still set a password for, or nil (not a link of ours, used,
    /// expired, or overtaken by a newer one).
    public func resetAccount(token: String) async throws -> StaffAccount? {
        guard let resetID = resetID(token) else { return nil }
        return try await store.usableReset(id: resetID)
    }

    func resetID(_ token: String) -> UUID? {
        guard let token = links.decode(token), token.purpose == .staffPasswordReset else { return nil }
        return token.subject
    }

    public enum ResetRefusal: Error, Equatable {
        /// The link no longer works.
        case linkUnusable
    }

    /// Sets the new password the link allows, once: the account's sessions end and its lock-out
    /// is lifted. Throws `ValidationFailure` for a password the rules refuse.
    public func resetPassword(token: String, password: String) async throws -> StaffAccount {
        guard let resetID = resetID(token), let account = try await store.usableReset(id: resetID) else {
            throw ResetRefusal.linkUnusable
        }
        let problems = PasswordRules.problems(password, email: account.email, name: account.name)
        if !problems.isEmpty { throw ValidationFailure.validation(problems) }
        guard let changed = try await store.completeReset(id: resetID, passwordHash: try await hash(password)) else {
            throw ResetRefusal.linkUnusable
        }
        return changed
    }
}
