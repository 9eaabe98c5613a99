import Foundation

/// A council (tenant) of the shared service.
public struct Council: Sendable, Equatable {
    public enum Tier: String, Sendable, CaseIterable {
        case county, district, unitary, metropolitan
        case londonBorough = "london_borough"
        case parish
    }

    public struct Contact: Sendable, Equatable {
        public var email: String?
        public var phone: String?
        public var website: String?

        public init(email: String? = nil, phone: String? = nil, website: String? = nil) {
            self.email = email
            self.phone = phone
            self.website = website
        }
    }

    public var id: UUID
    public var slug: String
    public var name: String
    public var tier: Tier
    public var contact: Contact
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID, slug: String, name: String, tier: Tier, contact: Contact, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.tier = tier
        self.contact = contact
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// What an admin sends to add a council, checked before it reaches the database.
public struct NewCouncil: Sendable, Equatable {
    public var slug: String
    public var name: String
    public var tier: Council.Tier
    public var contact: Council.Contact

    public init(slug: String, name: String, tier: Council.Tier, contact: Council.Contact) {
        self.slug = slug
        self.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        self.tier = tier
        self.contact = contact
    }

    /// All field errors at once, so a form can show every problem in one round trip.
    public func validate() throws(APIError) {
        var errors: [FieldError] = []
        if !Self.isValidSlug(slug) {
            errors.append(
                FieldError(
                    pointer: "/slug",
                    detail: "must be 2–64 lower-case letters, digits and single hyphens (e.g. north-barsetshire)",
                    code: "invalid_slug"))
        }
        if name.isEmpty || name.count > 200 {
            errors.append(FieldError(pointer: "/name", detail: "must be 1–200 characters", code: "invalid_length"))
        }
        if let email = contact.email, !TextRules.looksLikeEmail(email) {
            errors.append(FieldError(pointer: "/contact/email", detail: "is not an email address", code: "invalid_email"))
        }
        if let website = contact.website, !(website.hasPrefix("https://") || website.hasPrefix("http://")) {
            errors.append(FieldError(pointer: "/contact/website", detail: "must be an http(s) URL", code: "invalid_url"))
        }
        if !errors.isEmpty { throw .validation(errors) }
    }

    public static func isValidSlug(_ slug: String) -> Bool {
        guard (2...64).contains(slug.count), !slug.hasPrefix("-"), !slug.hasSuffix("-"), !slug.contains("--") else {
            return false
        }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}

/// Small shared checks on text people type.
public enum TextRules {
    /// Deliberately loose: one @, something either side, a dot in the domain, no spaces.
    public static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].contains("."), !parts[1].hasPrefix("."),
            !parts[1].hasSuffix("."), text.count <= 254
        else { return false }
        return !text.contains(where: \.isWhitespace)
    }
}
