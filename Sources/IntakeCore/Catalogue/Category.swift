import Foundation

/// One kind of problem a council handles (fly-tipping, potholes…), as stored: its definition,
/// the council whose catalogue it is in, and when it was added, changed or retired.
public struct Category: Sendable, Equatable {
    public var definition: CategoryDefinition
    public var council: CouncilRef
    public var createdAt: Date
    public var updatedAt: Date
    public var retiredAt: Date?

    public var code: String { definition.code }

    public init(definition: CategoryDefinition, council: CouncilRef, createdAt: Date, updatedAt: Date, retiredAt: Date?) {
        self.definition = definition
        self.council = council
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.retiredAt = retiredAt
    }
}

/// The council a category belongs to, as shown beside it.
public struct CouncilRef: Sendable, Equatable {
    public var id: UUID
    public var slug: String
    public var name: String
    public var tier: Council.Tier

    public init(id: UUID, slug: String, name: String, tier: Council.Tier) {
        self.id = id
        self.slug = slug
        self.name = name
        self.tier = tier
    }
}

/// An extra question on reports of a category, typed as in Open311 GeoReport v2.
public struct CategoryAttribute: Sendable, Equatable, Codable {
    public enum Datatype: String, Sendable, Codable, CaseIterable {
        case string, number, datetime, text, singlevaluelist, multivaluelist

        public var isList: Bool { self == .singlevaluelist || self == .multivaluelist }
    }

    public struct Value: Sendable, Equatable, Codable {
        public var key: String
        public var name: String

        public init(key: String, name: String) {
            self.key = key
            self.name = name
        }
    }

    public var code: String
    public var description: String
    public var datatype: Datatype
    public var datatypeDescription: String
    public var required: Bool
    /// False for a note shown to the citizen that takes no answer.
    public var variable: Bool
    public var order: Int
    public var values: [Value]

    public init(
        code: String,
        description: String = "",
        datatype: Datatype,
        datatypeDescription: String = "",
        required: Bool = false,
        variable: Bool = true,
        order: Int = 1,
        values: [Value] = []
    ) {
        self.code = code
        self.description = description
        self.datatype = datatype
        self.datatypeDescription = datatypeDescription
        self.required = required
        self.variable = variable
        self.order = order
        self.values = values
    }

    enum CodingKeys: String, CodingKey {
        case code, description, datatype, required, variable, order, values
        case datatypeDescription = "datatype_description"
    }
}

/// A category as an admin or a council defines it: every field, checked together.
public struct CategoryDefinition: Sendable, Equatable {
    public var code: String
    public var name: String
    public var description: String
    public var group: String
    public var keywords: [String]
    public var attributes: [CategoryAttribute]
    public var photoRequired: Bool
    public var anonymousAllowed: Bool
    public var contactRequired: Bool
    public var destination: String?

    public init(
        code: String,
        name: String,
        description: String = "",
        group: String = "",
        keywords: [String] = [],
        attributes: [CategoryAttribute] = [],
        photoRequired: Bool = false,
        anonymousAllowed: Bool = true,
        contactRequired: Bool = false,
        destination: String? = nil
    ) {
        self.code = code
        self.name = name.trimmingCharacters(in: .whitespacesAndNewlines)
        self.description = description
        self.group = group.trimmingCharacters(in: .whitespacesAndNewlines)
        self.keywords = keywords.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        self.attributes = attributes
        self.photoRequired = photoRequired
        self.anonymousAllowed = anonymousAllowed
        self.contactRequired = contactRequired
        self.destination = destination.flatMap { $0.isEmpty ? nil : $0 }
    }

    public func validate() throws(ValidationFailure) {
        var errors: [FieldError] = []
        if !Self.isValidCode(code) {
            errors.append(
                FieldError(
                    pointer: "/code",
                    detail: "must be 1–64 lower-case letters, digits and underscores, starting with a letter or digit",
                    code: "invalid_code"
                )
            )
        }
        if name.isEmpty || name.unicodeScalars.count > 200 {
            errors.append(FieldError(pointer: "/name", detail: "must be 1–200 characters", code: "invalid_length"))
        }
        if description.unicodeScalars.count > 2000 {
            errors.append(FieldError(pointer: "/description", detail: "must be at most 2000 characters", code: "invalid_length"))
        }
        if group.unicodeScalars.count > 100 {
            errors.append(FieldError(pointer: "/group", detail: "must be at most 100 characters", code: "invalid_length"))
        }
        for (index, keyword) in keywords.enumerated() where keyword.unicodeScalars.count > 50 || keyword.contains(",") {
            errors.append(
                FieldError(pointer: "/keywords/\(index)", detail: "must be at most 50 characters, without commas", code: "invalid_keyword")
            )
        }
        errors += Self.check(attributes)
        if !errors.isEmpty { throw .validation(errors) }
    }

    public static func isValidCode(_ code: String) -> Bool {
        guard (1...64).contains(code.count), let first = code.unicodeScalars.first, first != "_" else { return false }
        return code.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    static func check(_ attributes: [CategoryAttribute]) -> [FieldError] {
        var errors: [FieldError] = []
        var seen = Set<String>()
        for (index, attribute) in attributes.enumerated() {
            let at = "/attributes/\(index)"
            if !isValidCode(attribute.code) {
                errors.append(
                    FieldError(pointer: "\(at)/code", detail: "must be lower-case letters, digits and underscores", code: "invalid_code")
                )
            } else if !seen.insert(attribute.code).inserted {
                errors.append(FieldError(pointer: "\(at)/code", detail: "is used by another attribute", code: "duplicate"))
            }
            if attribute.order < 1 {
                errors.append(FieldError(pointer: "\(at)/order", detail: "must be a positive whole number", code: "out_of_range"))
            }
            if attribute.datatype.isList {
                if attribute.values.isEmpty {
                    errors.append(
                        FieldError(
                            pointer: "\(at)/values",
                            detail: "must list the allowed values for a \(attribute.datatype.rawValue)",
                            code: "required"
                        )
                    )
                }
                var keys = Set<String>()
                for (valueIndex, value) in attribute.values.enumerated() {
                    if value.key.isEmpty || !keys.insert(value.key).inserted {
                        errors.append(
                            FieldError(pointer: "\(at)/values/\(valueIndex)/key", detail: "must be present and unique", code: "invalid_key")
                        )
                    }
                }
            } else if !attribute.values.isEmpty {
                errors.append(
                    FieldError(pointer: "\(at)/values", detail: "is only for singlevaluelist and multivaluelist attributes", code: "not_allowed")
                )
            }
            if attribute.required && !attribute.variable {
                errors.append(
                    FieldError(pointer: "\(at)/required", detail: "a non-variable (read-only) attribute cannot be required", code: "not_allowed")
                )
            }
        }
        return errors
    }
}
