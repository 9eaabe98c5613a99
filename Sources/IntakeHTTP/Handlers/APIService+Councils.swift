import Foundation
import IntakeAPI
import IntakeCore
import IntakeStorage

extension APIService {
    func listCouncils(_ input: Operations.ListCouncils.Input) async throws -> Operations.ListCouncils.Output {
        let all = try await councils.list()
        return .ok(.init(body: .json(.init(councils: all.map(Components.Schemas.Council.init)))))
    }

    func createCouncil(_ input: Operations.CreateCouncil.Input) async throws -> Operations.CreateCouncil.Output {
        _ = try await auth.require([.admin])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let council = NewCouncil(
            slug: body.slug, name: body.name, tier: Council.Tier(body.tier),
            contact: Council.Contact(body.contact))
        try council.validate()
        do {
            let created = try await councils.create(council)
            return .created(.init(body: .json(.init(created))))
        } catch CouncilStore.CreateError.slugTaken {
            throw APIError.conflict("A council with slug '\(council.slug)' already exists.", code: "council_exists")
        }
    }

    func getCouncil(_ input: Operations.GetCouncil.Input) async throws -> Operations.GetCouncil.Output {
        guard let council = try await councils.find(slug: input.path.slug) else {
            throw APIError.notFound("No council has the slug '\(input.path.slug)'.")
        }
        return .ok(.init(body: .json(.init(council))))
    }
}

// Mapping between the generated wire types and the domain.

extension Components.Schemas.Council {
    init(_ council: Council) {
        self.init(
            slug: council.slug, name: council.name, tier: .init(council.tier), contact: .init(council.contact),
            createdAt: council.createdAt, updatedAt: council.updatedAt)
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
