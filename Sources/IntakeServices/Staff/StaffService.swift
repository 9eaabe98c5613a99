import Foundation
import HummingbirdBcrypt
import IntakeCore
import IntakeStorage

/// Council staff: accounts (bcrypt-hashed passwords), sign-in with lock-out after repeated
/// failures, and sessions whose cookie token is stored only as its SHA-256.
public struct StaffService: Sendable {
    let store: StaffStore
    /// bcrypt's cost: 12 in service (about a quarter of a second a hash), lower only in tests.
    let bcryptCost: UInt8

    public init(store: StaffStore, bcryptCost: UInt8 = 12) {
        self.store = store
        self.bcryptCost = bcryptCost
    }

    public enum Refusal: Error, Equatable {
        case emailTaken
    }

    public func create(_ staff: NewStaff, councilID: UUID) async throws -> StaffAccount {
        try staff.validate()
        let hash = Bcrypt.hash(staff.password, cost: bcryptCost)
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
        /// Too many failures in a row: no password is tried until then.
        case locked(until: Date)
    }

    /// A hash to compare against when no account has the email, so that answering takes as
    /// long as for a real account and does not tell which addresses have one.
    static let decoy = Bcrypt.hash("not a password of anyone's", cost: 12)

    public func signIn(email: String, password: String, now: Date = Date()) async throws -> SignIn {
        guard let stored = try await store.find(email: email) else {
            _ = Bcrypt.verify(password, hash: Self.decoy)
            return .refused
        }
        if let until = stored.lockedUntil, until > now { return .locked(until: until) }
        guard Bcrypt.verify(password, hash: stored.passwordHash) else {
            try await store.recordFailure(
                staffID: stored.account.id,
                maxFailures: SignInRules.maxFailures,
                lockoutSeconds: Int(SignInRules.lockout.components.seconds)
            )
            return .refused
        }
        let token = Secrets.randomHex(bytes: 32)
        try await store.startSession(
            staffID: stored.account.id,
            tokenHash: Secrets.sha256(token),
            lifetimeSeconds: Int(SignInRules.sessionLifetime.components.seconds)
        )
        return .signedIn(token: token, account: stored.account)
    }

    /// The account signed in with this session token, while the session lasts.
    public func session(token: String) async throws -> StaffAccount? {
        try await store.session(tokenHash: Secrets.sha256(token))
    }

    public func signOut(token: String) async throws { try await store.endSession(tokenHash: Secrets.sha256(token)) }
}
