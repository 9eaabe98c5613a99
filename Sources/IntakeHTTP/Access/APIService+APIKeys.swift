import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

extension APIService {
    func listAPIKeys(_ input: Operations.ListAPIKeys.Input) async throws -> Operations.ListAPIKeys.Output {
        _ = try await auth.require([.admin])
        let all = try await keys.list()
        return .ok(
            .init(
                body: .json(
                    .init(
                        keys: all.map {
                            .init(
                                prefix: $0.prefix,
                                role: .init(rawValue: $0.role.rawValue)!,
                                council: $0.councilSlug,
                                label: $0.label,
                                createdAt: $0.createdAt,
                                expiresAt: $0.expiresAt,
                                revokedAt: $0.revokedAt,
                                lastUsedAt: $0.lastUsedAt
                            )
                        }
                    )
                )
            )
        )
    }

    func createAPIKey(_ input: Operations.CreateAPIKey.Input) async throws -> Operations.CreateAPIKey.Output {
        _ = try await auth.require([.admin])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let role = Role(rawValue: body.role.rawValue)!
        let label = body.label ?? ""
        var errors: [FieldError] = []
        if role == .backoffice && body.council == nil {
            errors.append(FieldError(pointer: "/council", detail: "is required for a backoffice key", code: "required"))
        }
        if role != .backoffice && body.council != nil {
            errors.append(FieldError(pointer: "/council", detail: "is only for backoffice keys", code: "not_allowed"))
        }
        if label.unicodeScalars.count > 200 {
            errors.append(FieldError(pointer: "/label", detail: "must be at most 200 characters", code: "invalid_length"))
        }
        if let expiresAt = body.expiresAt, expiresAt <= Date() {
            errors.append(FieldError(pointer: "/expires_at", detail: "must be in the future", code: "out_of_range"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        do {
            let created = try await keys.create(
                role: role,
                councilSlug: body.council,
                label: label,
                expiresAt: body.expiresAt
            )
            RequestScope.current?.audit.note("key_prefix", created.token.displayPrefix)
            return .created(
                .init(
                    body: .json(
                        .init(
                            value1: .init(
                                prefix: created.token.displayPrefix,
                                role: body.role,
                                council: created.councilSlug,
                                label: created.label,
                                createdAt: created.createdAt,
                                expiresAt: created.expiresAt
                            ),
                            value2: .init(key: created.token.text)
                        )
                    )
                )
            )
        } catch AccessService.KeyRefused.unknownCouncil(let slug) {
            throw APIError.validation([
                FieldError(pointer: "/council", detail: "no council has the slug '\(slug)'", code: "unknown_council")
            ])
        }
    }

    func revokeAPIKey(_ input: Operations.RevokeAPIKey.Input) async throws -> Operations.RevokeAPIKey.Output {
        _ = try await auth.require([.admin])
        guard try await keys.revoke(prefix: input.path.prefix) else {
            let shown = APIKeyToken(parsing: input.path.prefix)?.displayPrefix ?? input.path.prefix
            throw APIError.notFound("No live key has the prefix '\(shown)'.")
        }
        return .noContent(.init())
    }
}
