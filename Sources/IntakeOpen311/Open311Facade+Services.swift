import Foundation
import IntakeCore
import IntakeServices
import IntakeStorage

/// discovery, services and service definitions: the catalogue, as Open311 describes it.
extension Open311Facade {
    func discovery(_ format: Open311Format) -> Open311Reply {
        Open311Reply(
            root: "discovery",
            node: .record([
                ("changeset", .date(Self.changeset)),
                ("contact", .text("The operator of this Civic Intake service; API keys are issued by it.")),
                ("key_service", .text("\(baseURL)/v1/api-keys")),
                (
                    "endpoints",
                    .list(
                        item: "endpoint",
                        [
                            .record([
                                ("specification", .text("http://wiki.open311.org/GeoReport_v2")),
                                ("url", .text(baseURL + Self.prefix)),
                                ("changeset", .date(Self.changeset)),
                                ("type", .text("production")),
                                ("formats", .list(item: "format", [.text("text/xml"), .text("application/json")])),
                            ])
                        ]
                    )
                ),
            ])
        )
    }

    func services(_ format: Open311Format, _ query: Open311Form) async throws -> Open311Reply {
        let council = try await requiredJurisdiction(query)
        let all = try await catalogue.activeCategories(of: council.id)
        return Open311Reply(root: "services", node: .list(item: "service", all.map(Self.serviceNode)))
    }

    func serviceDefinition(_ code: String, _ query: Open311Form) async throws -> Open311Reply {
        do {
            let council = try await requiredJurisdiction(query)
            guard let category = try await catalogue.find(code: code, councilID: council.id), category.retiredAt == nil else {
                throw Open311Failure.notFound("\(council.name) has no service with the code '\(code)'.")
            }
            return Open311Reply(
                root: "service_definition",
                node: .record([
                    ("service_code", .text(category.code)),
                    ("attributes", .list(item: "attribute", category.definition.attributes.sorted { $0.order < $1.order }.map(Self.attributeNode))),
                ])
            )
        }
    }

    /// Services belong to a council: `jurisdiction_id` is required unless only one council is served.
    func requiredJurisdiction(_ query: Open311Form) async throws -> Council {
        if let council = try await jurisdiction(query) { return council }
        let all = try await councils.list()
        if all.count == 1 { return all[0] }
        throw Open311Failure.badRequest(
            "jurisdiction_id is required: this server serves several councils (\(all.map(\.slug).joined(separator: ", ")))."
        )
    }

    static func serviceNode(_ category: Category) -> Open311Node {
        let definition = category.definition
        return .record([
            ("service_code", .text(category.code)),
            ("service_name", .text(definition.name)),
            ("description", .text(definition.description)),
            ("metadata", .bool(!definition.attributes.isEmpty)),
            ("type", .text("realtime")),
            ("keywords", .text(definition.keywords.joined(separator: ","))),
            ("group", .text(definition.group)),
        ])
    }

    static func attributeNode(_ attribute: CategoryAttribute) -> Open311Node {
        var fields: [(String, Open311Node)] = [
            ("variable", .bool(attribute.variable)),
            ("code", .text(attribute.code)),
            ("datatype", .text(attribute.datatype.rawValue)),
            ("required", .bool(attribute.required)),
            ("datatype_description", .text(attribute.datatypeDescription)),
            ("order", .number(Double(attribute.order))),
            ("description", .text(attribute.description)),
        ]
        if attribute.datatype.isList {
            fields.append(
                ("values", .list(item: "value", attribute.values.map { .record([("key", .text($0.key)), ("name", .text($0.name))]) }))
            )
        }
        return .record(fields)
    }
}
