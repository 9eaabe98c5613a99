import Foundation

/// A council officer who works cases in the console. Caseworkers see and move cases; managers
/// also see reporters' contact details and payments.
public struct StaffAccount: Sendable, Equatable {
    public enum Role: String, Sendable, CaseIterable {
        case caseworker, manager
    }

    public var id: UUID
    public var council: CouncilRef
    public var email: String
    public var name: String
    public var role: Role
    public var createdAt: Date

    public init(id: UUID, council: CouncilRef, email: String, name: String, role: Role, createdAt: Date) {
        self.id = id
        self.council = council
        self.email = email
        self.name = name
        self.role = role
        self.createdAt = createdAt
    }
}

/// A staff account as an admin or the council's back office asks for it.
public struct NewStaff: Sendable, Equatable {
    public var email: String
    public var name: String
    public var role: StaffAccount.Role
    public var password: String

    public init(email: String, name: String, role: StaffAccount.Role, password: String) {
        self.email = email
        self.name = name
        self.role = role
        self.password = password
    }

    public func validate() throws(ValidationFailure) {
        var errors: [FieldError] = []
        if !TextRules.looksLikeEmail(email) || email.unicodeScalars.count > 254 {
            errors.append(FieldError(pointer: "/email", detail: "is not an email address", code: "invalid_email"))
        }
        let trimmedName = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmedName.isEmpty || name.unicodeScalars.count > 200
            || name.unicodeScalars.contains(where: { $0.properties.generalCategory == .control })
        {
            errors.append(FieldError(pointer: "/name", detail: "must be 1–200 characters, not only spaces", code: "invalid_name"))
        }
        errors += PasswordRules.problems(password, email: email, name: trimmedName)
        if !errors.isEmpty { throw .validation(errors) }
    }
}

/// How sign-in failures lock an account: after `maxFailures` in a row it is locked for
/// `lockout`, whatever password comes next (the failures count again from zero afterwards).
public enum SignInRules {
    public static let maxFailures = 5
    public static let lockout: Duration = .seconds(15 * 60)
    /// How long a session lasts without signing in again.
    public static let sessionLifetime: Duration = .seconds(8 * 3600)
    /// How long a password reset link works.
    public static let resetLifetime: Duration = .seconds(3600)
    /// Reset emails an account gets in an hour: enough for a lost email, not a flood.
    public static let maxResetsPerHour = 3
}

/// NCSC's advice: length over composition rules. At least 12 characters (in code points), at
/// most 72 bytes of UTF-8 (all bcrypt reads), not only spaces, and not the email or the name.
/// For new accounts and for password resets alike.
public enum PasswordRules {
    public static let length = 12...72

    /// What is wrong with the password, at the pointer `/password`.
    public static func problems(_ password: String, email: String, name: String) -> [FieldError] {
        var errors: [FieldError] = []
        let name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        if password.unicodeScalars.count < length.lowerBound || password.utf8.count > length.upperBound {
            errors.append(FieldError(pointer: "/password", detail: "must be at least 12 characters and at most 72 bytes", code: "weak_password"))
        } else if password.trimmingCharacters(in: .whitespaces).isEmpty
            || password.lowercased() == email.lowercased() || password.lowercased() == name.lowercased()
        {
            errors.append(FieldError(pointer: "/password", detail: "must not be blank, the email address or the name", code: "weak_password"))
        }
        if password.unicodeScalars.contains(where: { $0.value == 0 }) {
            errors.append(FieldError(pointer: "/password", detail: "must not contain the NUL character", code: "invalid_character"))
        }
        return errors
    }
}
