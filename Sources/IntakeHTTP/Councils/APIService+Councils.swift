import Foundation
import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

extension APIService {
    func listCouncils(_ input: Operations.ListCouncils.Input) async throws -> Operations.ListCouncils.Output {
        let all = try await councils.list()
        let settings = try await payments.allSettings()
        return .ok(.init(body: .json(.init(councils: all.map { Components.Schemas.Council($0, payments: settings[$0.id]) }))))
    }

    func getCouncil(_ input: Operations.GetCouncil.Input) async throws -> Operations.GetCouncil.Output {
        guard let council = try await councils.find(slug: input.path.slug) else {
            throw APIError.councilNotFound(input.path.slug)
        }
        let settings = try await payments.settings(councilID: council.id)
        return .ok(.init(body: .json(.init(council, payments: settings))))
    }

    func createCouncil(_ input: Operations.CreateCouncil.Input) async throws -> Operations.CreateCouncil.Output {
        _ = try await auth.require([.admin])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let council = NewCouncil(
            slug: body.slug,
            name: body.name,
            tier: Council.Tier(body.tier),
            code: body.code,
            contact: Council.Contact(body.contact)
        )
        do {
            return .created(.init(body: .json(.init(try await councils.create(council)))))
        } catch let error as CouncilService.Conflict {
            throw Self.conflict(error, slug: council.slug)
        }
    }

    func updateCouncil(_ input: Operations.UpdateCouncil.Input) async throws -> Operations.UpdateCouncil.Output {
        let slug = input.path.slug
        let (principal, council) = try await auth.requireCouncilStaff(of: try await councils.find(slug: slug), slug: slug)
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let update = CouncilUpdate(
            name: body.name,
            tier: body.tier.map(Council.Tier.init),
            code: body.code,
            contact: body.contact.map { Council.Contact($0) }
        )
        try update.validate()
        if principal.role != .admin, update.tier != nil || update.code != nil {
            throw APIError.forbidden("Only an admin key may change a council's tier or code.")
        }
        do {
            let updated = try await councils.update(update.applied(to: council))
            return .ok(.init(body: .json(.init(updated))))
        } catch let error as CouncilService.Conflict {
            throw Self.conflict(error, slug: slug)
        }
    }

    func putCouncilBoundary(
        _ input: Operations.PutCouncilBoundary.Input
    ) async throws
        -> Operations.PutCouncilBoundary.Output
    {
        _ = try await auth.require([.admin])
        let slug = input.path.slug
        guard let council = try await councils.find(slug: slug) else { throw APIError.councilNotFound(slug) }
        let object: OpenAPIObjectContainer
        switch input.body {
        case .json(let body): object = body.additionalProperties
        case .applicationGeoJson(let body): object = body.additionalProperties
        }
        let geometry = try GeoJSONInput.geometryJSON(from: object)
        do {
            let (updated, vertices, warnings) = try await councils.replaceBoundary(of: council, geometryJSON: geometry)
            return .ok(.init(body: .json(.init(council: .init(updated), vertices: vertices, warnings: warnings))))
        } catch let invalid as CouncilService.InvalidBoundary {
            throw APIError.invalidBoundary(invalid.reason)
        }
    }

    static func conflict(_ error: CouncilService.Conflict, slug: String) -> APIError {
        switch error {
        case .slugTaken: .conflict("A council with slug '\(slug)' already exists.", code: "council_exists")
        case .codeTaken: .conflict("Another council already has this code.", code: "council_code_taken")
        }
    }
}

extension APIError {
    static func invalidBoundary(_ reason: String) -> APIError {
        APIError(
            status: 422,
            code: "invalid_boundary",
            title: "Invalid boundary",
            detail: reason,
            fieldErrors: [FieldError(pointer: "", detail: reason, code: "invalid_boundary")]
        )
    }
}

/// Pulls the geometry out of a GeoJSON body: a Polygon/MultiPolygon, or a Feature holding one.
enum GeoJSONInput {
    static func geometryJSON(from object: OpenAPIObjectContainer) throws -> String {
        let data = try JSONEncoder().encode(object)
        guard let parsed = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError.invalidBoundary("expected a GeoJSON object")
        }
        let geometry: Any?
        switch parsed["type"] as? String {
        case "Feature": geometry = parsed["geometry"]
        case "Polygon", "MultiPolygon": geometry = parsed
        case "FeatureCollection":
            throw APIError.invalidBoundary("send one Feature or geometry; import collections with `intake councils import`")
        case let other?: throw APIError.invalidBoundary("a boundary must be a Polygon or MultiPolygon, not \(other)")
        case nil: throw APIError.invalidBoundary("the GeoJSON object has no type")
        }
        guard let geometry = geometry as? [String: Any] else {
            throw APIError.invalidBoundary("the Feature has no geometry")
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: geometry), as: UTF8.self)
    }
}

// Mapping between the generated wire types and the domain.

extension Components.Schemas.Council {
    /// `payments`: the council's settings, when it takes payments (what payers need to know).
    init(_ council: Council, payments: PaymentSettings? = nil) {
        let rule = payments?.referenceRule
        self.init(
            slug: council.slug,
            name: council.name,
            tier: .init(council.tier),
            code: council.code,
            contact: .init(council.contact),
            hasBoundary: council.geography != nil,
            bbox: council.geography.map {
                .init(minLat: $0.minLat, minLon: $0.minLon, maxLat: $0.maxLat, maxLon: $0.maxLon)
            },
            representativePoint: council.geography.map {
                .init(lat: $0.representativePoint.lat, lon: $0.representativePoint.lon)
            },
            acceptsPayments: payments != nil,
            accountReferenceRule: rule?.description,
            accountReferencePattern: rule?.pattern,
            accountReferenceCheck: rule.flatMap { .init(rawValue: $0.checkScheme.rawValue) },
            exampleReference: rule?.example,
            maxPaymentPence: payments?.maxAmountPence,
            createdAt: council.createdAt,
            updatedAt: council.updatedAt
        )
    }
}

extension Components.Schemas.CouncilRef {
    init(_ council: CouncilRef) {
        self.init(slug: council.slug, name: council.name, tier: .init(council.tier))
    }
}

extension Components.Schemas.CouncilTier {
    init(_ tier: Council.Tier) { self = Self(rawValue: tier.rawValue)! }
}

extension Council.Tier {
    init(_ tier: Components.Schemas.CouncilTier) { self = Self(rawValue: tier.rawValue)! }
}

extension Components.Schemas.Contact {
    init(_ contact: Council.Contact) {
        self.init(email: contact.email, phone: contact.phone, website: contact.website)
    }
}

extension Council.Contact {
    init(_ contact: Components.Schemas.Contact?) {
        self.init(email: contact?.email, phone: contact?.phone, website: contact?.website)
    }
}
