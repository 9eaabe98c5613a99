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

    /// Where the council is, once it has a boundary.
    public struct Geography: Sendable, Equatable {
        public var minLat, minLon, maxLat, maxLon: Double
        /// A point guaranteed to lie inside the boundary (not the centroid, which may not).
        public var representativePoint: LatLon

        public init(minLat: Double, minLon: Double, maxLat: Double, maxLon: Double, representativePoint: LatLon) {
            self.minLat = minLat
            self.minLon = minLon
            self.maxLat = maxLat
            self.maxLon = maxLon
            self.representativePoint = representativePoint
        }
    }

    public var id: UUID
    public var slug: String
    public var name: String
    public var tier: Tier
    /// ONS/GSS code (e.g. E07000123), used to match boundary features on re-import.
    public var code: String?
    public var contact: Contact
    public var geography: Geography?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID,
        slug: String,
        name: String,
        tier: Tier,
        code: String?,
        contact: Contact,
        geography: Geography?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.slug = slug
        self.name = name
        self.tier = tier
        self.code = code
        self.contact = contact
        self.geography = geography
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// How local a tier is: among councils that both handle a category at a point, the more
    /// local one gets it.
    public var tierRank: Int {
        switch tier {
        case .parish: 0
        case .district, .metropolitan, .londonBorough, .unitary: 1
        case .county: 2
        }
    }
}

/// What an admin sends to add a council, checked before it reaches the database.
public struct NewCouncil: Sendable, Equatable {
    public var slug: String
    public var name: String
    public var tier: Council.Tier
    public var code: String?
    public var contact: Council.Contact

    public init(slug: String, name: String, tier: Council.Tier, code: String? = nil, contact: Council.Contact) {
        self.slug = slug
        self.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        self.tier = tier
        self.code = code?.trimmingCharacters(in: .whitespaces)
        self.contact = contact
    }

    /// All field errors at once, so a form can show every problem in one round trip.
    public func validate() throws(ValidationFailure) {
        var errors: [FieldError] = []
        if !Self.isValidSlug(slug) {
            errors.append(
                FieldError(
                    pointer: "/slug",
                    detail: "must be 2–64 lower-case letters, digits and single hyphens (e.g. north-barsetshire)",
                    code: "invalid_slug"
                )
            )
        }
        errors += Self.check(name: name, code: code, contact: contact)
        if !errors.isEmpty { throw .validation(errors) }
    }

    static func check(name: String?, code: String?, contact: Council.Contact?) -> [FieldError] {
        var errors: [FieldError] = []
        if let name, name.isEmpty || name.unicodeScalars.count > 200 {
            errors.append(FieldError(pointer: "/name", detail: "must be 1–200 characters", code: "invalid_length"))
        }
        if let code, !isValidCode(code) {
            errors.append(
                FieldError(pointer: "/code", detail: "must be 1–20 letters and digits (an ONS code such as E07000123)", code: "invalid_code")
            )
        }
        if let email = contact?.email, !email.isEmpty, !TextRules.looksLikeEmail(email) {
            errors.append(FieldError(pointer: "/contact/email", detail: "is not an email address", code: "invalid_email"))
        }
        if let website = contact?.website, !website.isEmpty, !(website.hasPrefix("https://") || website.hasPrefix("http://")) {
            errors.append(FieldError(pointer: "/contact/website", detail: "must be an http(s) URL", code: "invalid_url"))
        }
        if let phone = contact?.phone, phone.unicodeScalars.count > 40 {
            errors.append(FieldError(pointer: "/contact/phone", detail: "must be at most 40 characters", code: "invalid_length"))
        }
        return errors
    }

    public static func isValidCode(_ code: String) -> Bool {
        (1...20).contains(code.count) && code.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
    }

    /// A slug from a name, for councils created by boundary import:
    /// "Barchester City Council" → "barchester-city-council".
    public static func slug(fromName name: String) -> String {
        var slug = ""
        for scalar in name.lowercased().folding(options: .diacriticInsensitive, locale: nil).unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty && !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        while slug.hasSuffix("-") { slug.removeLast() }
        return String(slug.prefix(64)).trimmingCharacters(in: CharacterSet(charactersIn: "-"))
    }

    public static func isValidSlug(_ slug: String) -> Bool {
        guard (2...64).contains(slug.count), !slug.hasPrefix("-"), !slug.hasSuffix("-"), !slug.contains("--") else {
            return false
        }
        return slug.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" }
    }
}

/// A change to a council: present fields replace; a contact field of "" clears it.
public struct CouncilUpdate: Sendable, Equatable {
    public var name: String?
    public var tier: Council.Tier?
    public var code: String?
    public var contact: Council.Contact?

    public init(name: String? = nil, tier: Council.Tier? = nil, code: String? = nil, contact: Council.Contact? = nil) {
        self.name = name?.trimmingCharacters(in: .whitespacesAndNewlines)
        self.tier = tier
        self.code = code?.trimmingCharacters(in: .whitespaces)
        self.contact = contact
    }

    public func validate() throws(ValidationFailure) {
        let errors = NewCouncil.check(name: name, code: code, contact: contact)
        if !errors.isEmpty { throw .validation(errors) }
    }

    public func applied(to council: Council) -> Council {
        var result = council
        if let name { result.name = name }
        if let tier { result.tier = tier }
        if let code { result.code = code.isEmpty ? nil : code }
        if let contact {
            func merge(_ new: String?, _ old: String?) -> String? {
                guard let new else { return old }
                return new.isEmpty ? nil : new
            }
            result.contact = Council.Contact(
                email: merge(contact.email, council.contact.email),
                phone: merge(contact.phone, council.contact.phone),
                website: merge(contact.website, council.contact.website)
            )
        }
        return result
    }
}

/// Small shared checks on text people type.
public enum TextRules {
    /// Deliberately loose: one @, something either side, a dot in the domain, no spaces.
    public static func looksLikeEmail(_ text: String) -> Bool {
        // In code points, as the contract's pattern reads it (see `PaymentRules.isEmail`).
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= 254, !scalars.contains(where: { $0.properties.isWhitespace }) else { return false }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, let domain = parts.last, !parts[0].isEmpty, domain.contains("."), domain.first != ".",
            domain.last != "."
        else { return false }
        return true
    }
}

extension Council {
    /// The council as shown beside its categories and reports.
    public var ref: CouncilRef { CouncilRef(id: id, slug: slug, name: name, tier: tier) }
}
