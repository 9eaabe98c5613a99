import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

extension APIService {
    func listCategories(_ input: Operations.ListCategories.Input) async throws -> Operations.ListCategories.Output {
        let slug = input.path.slug
        guard let council = try await councils.find(slug: slug) else { throw APIError.councilNotFound(slug) }
        let all = try await catalogue.list(councilID: council.id, includeRetired: input.query.includeRetired ?? false)
        return .ok(.init(body: .json(.init(categories: all.map(Components.Schemas.Category.init)))))
    }

    func getCategory(_ input: Operations.GetCategory.Input) async throws -> Operations.GetCategory.Output {
        let slug = input.path.slug
        guard let council = try await councils.find(slug: slug) else { throw APIError.councilNotFound(slug) }
        guard let category = try await catalogue.find(code: input.path.code, councilID: council.id) else {
            throw APIError.categoryNotFound(input.path.code, council: slug)
        }
        return .ok(.init(body: .json(.init(category))))
    }

    func createCategory(_ input: Operations.CreateCategory.Input) async throws -> Operations.CreateCategory.Output {
        let slug = input.path.slug
        let (_, council) = try await auth.requireCouncilStaff(of: try await councils.find(slug: slug), slug: slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let definition = CategoryDefinition(
            code: body.code,
            name: body.name,
            description: body.description ?? "",
            group: body.group ?? "",
            keywords: body.keywords ?? [],
            attributes: (body.attributes ?? []).map(CategoryAttribute.init),
            photoRequired: body.photoRequired ?? false,
            anonymousAllowed: body.anonymousAllowed ?? true,
            contactRequired: body.contactRequired ?? false,
            destination: body.destination
        )
        try definition.validate()
        try await checkDestination(definition.destination, councilID: council.id)
        do {
            let created = try await catalogue.create(definition, councilID: council.id)
            return .created(.init(body: .json(.init(created))))
        } catch is CatalogueService.CodeTaken {
            throw APIError.conflict(
                "\(council.name) already has a category with code '\(definition.code)'.",
                code: "category_exists"
            )
        }
    }

    func updateCategory(_ input: Operations.UpdateCategory.Input) async throws -> Operations.UpdateCategory.Output {
        let slug = input.path.slug
        let (_, council) = try await auth.requireCouncilStaff(of: try await councils.find(slug: slug), slug: slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        guard let existing = try await catalogue.find(code: input.path.code, councilID: council.id) else {
            throw APIError.categoryNotFound(input.path.code, council: slug)
        }
        var definition = existing.definition
        if let name = body.name { definition.name = name.trimmingCharacters(in: .whitespacesAndNewlines) }
        if let description = body.description { definition.description = description }
        if let group = body.group { definition.group = group }
        if let keywords = body.keywords {
            definition.keywords = keywords.map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        if let attributes = body.attributes { definition.attributes = attributes.map(CategoryAttribute.init) }
        if let photoRequired = body.photoRequired { definition.photoRequired = photoRequired }
        if let anonymousAllowed = body.anonymousAllowed { definition.anonymousAllowed = anonymousAllowed }
        if let contactRequired = body.contactRequired { definition.contactRequired = contactRequired }
        if let destination = body.destination { definition.destination = destination.isEmpty ? nil : destination }
        try definition.validate()
        if body.destination != nil { try await checkDestination(definition.destination, councilID: council.id) }
        guard let updated = try await catalogue.update(definition, councilID: council.id) else {
            throw APIError.categoryNotFound(input.path.code, council: slug)
        }
        return .ok(.init(body: .json(.init(updated))))
    }

    /// A category may only name one of its council's destinations: a typo would otherwise send
    /// its cases silently to the default.
    func checkDestination(_ name: String?, councilID: UUID) async throws {
        guard let name else { return }
        let found = try await destinations.find(name: name, councilID: councilID)
        // The notification destination carries messages to people, never cases.
        guard found == nil || found?.kind == .notify else { return }
        throw APIError.validation(
            [FieldError(pointer: "/destination", detail: "the council has no destination named '\(name)' for cases", code: "unknown_destination")])
    }

    func retireCategory(_ input: Operations.RetireCategory.Input) async throws -> Operations.RetireCategory.Output {
        let slug = input.path.slug
        let (_, council) = try await auth.requireCouncilStaff(of: try await councils.find(slug: slug), slug: slug)
        guard let retired = try await catalogue.retire(code: input.path.code, councilID: council.id) else {
            throw APIError.categoryNotFound(input.path.code, council: slug)
        }
        return .ok(.init(body: .json(.init(retired))))
    }

    func listServicesAtPoint(
        _ input: Operations.ListServicesAtPoint.Input
    ) async throws
        -> Operations.ListServicesAtPoint.Output
    {
        let point = try LatLon.checked(lat: input.query.lat, lon: input.query.lon)
        let found = try await catalogue.services(at: point)
        guard !found.councils.isEmpty else { throw APIError.outsideServiceArea(point) }
        var services = found.services
        if let wanted = input.query.category {
            services = services.filter { $0.code == wanted }
            if services.isEmpty { throw APIError.categoryNotAvailableHere(wanted, available: found.services.map(\.code)) }
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        location: .init(lat: point.lat, lon: point.lon),
                        councils: found.councils.map(Components.Schemas.CouncilRef.init),
                        services: services.map(Components.Schemas.Category.init)
                    )
                )
            )
        )
    }
}

extension APIError {
    static func categoryNotFound(_ code: String, council: String) -> APIError {
        .notFound("Council '\(council)' has no category '\(code)'.")
    }
}

// Mapping between the generated wire types and the domain.

extension Components.Schemas.Category {
    init(_ category: Category) {
        let definition = category.definition
        self.init(
            code: definition.code,
            name: definition.name,
            description: definition.description,
            group: definition.group,
            keywords: definition.keywords,
            attributes: definition.attributes.map(Components.Schemas.CategoryAttribute.init),
            photoRequired: definition.photoRequired,
            anonymousAllowed: definition.anonymousAllowed,
            contactRequired: definition.contactRequired,
            destination: definition.destination,
            council: .init(category.council),
            createdAt: category.createdAt,
            updatedAt: category.updatedAt,
            retiredAt: category.retiredAt
        )
    }
}

extension Components.Schemas.CategoryAttribute {
    init(_ attribute: CategoryAttribute) {
        self.init(
            code: attribute.code,
            description: attribute.description,
            datatype: .init(rawValue: attribute.datatype.rawValue)!,
            datatypeDescription: attribute.datatypeDescription,
            required: attribute.required,
            variable: attribute.variable,
            order: attribute.order,
            values: attribute.datatype.isList ? attribute.values.map { .init(key: $0.key, name: $0.name) } : nil
        )
    }
}

extension CategoryAttribute {
    init(_ wire: Components.Schemas.CategoryAttribute) {
        self.init(
            code: wire.code,
            description: wire.description ?? "",
            datatype: Datatype(rawValue: wire.datatype.rawValue)!,
            datatypeDescription: wire.datatypeDescription ?? "",
            required: wire.required ?? false,
            variable: wire.variable ?? true,
            order: wire.order ?? 1,
            values: (wire.values ?? []).map { Value(key: $0.key, name: $0.name) }
        )
    }
}
