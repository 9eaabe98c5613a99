import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import Logging

extension APIService {
    func getLiveness(_ input: Operations.GetLiveness.Input) async throws -> Operations.GetLiveness.Output {
        .ok(.init(body: .json(.init(status: .ok))))
    }

    /// Ready means: the database answers within the acquire timeout and holds exactly the
    /// migrations this build ships. A load balancer stops sending traffic otherwise.
    func getReadiness(_ input: Operations.GetReadiness.Input) async throws -> Operations.GetReadiness.Output {
        let status: MigrationStatus
        do {
            status = try await migrator.status()
        } catch  where DatabaseErrors.isUnavailable(error) {
            RequestScope.logger.warning(
                "readiness: database unreachable",
                metadata: ["error": .string(DatabaseErrors.summary(error))]
            )
            throw APIError.databaseUnavailable()
        }
        guard status.isCurrent else {
            let detail =
                status.problem.map { "\($0)" }
                ?? "\(status.applied) of \(status.known) migrations are applied; run `intake migrate`."
            throw APIError(
                status: 503,
                code: "migrations_pending",
                title: "Service unavailable",
                detail: detail,
                retryAfter: 30
            )
        }
        return .ok(
            .init(
                body: .json(
                    .init(
                        status: .ready,
                        database: .ok,
                        migrations: .init(applied: status.applied, known: status.known)
                    )
                )
            )
        )
    }
}
