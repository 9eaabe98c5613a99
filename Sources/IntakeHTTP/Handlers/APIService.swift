import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeServices
import IntakeStorage

/// Implements the operations generated from `OpenAPI/openapi.yaml`. Each resource's handlers
/// live in their own `APIService+Resource.swift` file.
struct APIService: APIProtocol {
    /// The process's stores and services (see `AppServices`).
    let app: AppServices
    let migrator: Migrator
    let auth: Authenticator

    var config: IntakeConfig { app.config }
    var database: Database { app.database }
    var keys: APIKeyStore { app.keys }
    var councils: CouncilStore { app.councils }
    var boundaries: BoundaryStore { app.boundaries }
    var categories: CategoryStore { app.categories }
    var catalogue: RoutingCatalogue { app.catalogue }
    var reports: ReportStore { app.reports }
    var intake: IntakeService { app.intake }
    var idempotent: IdempotentRequests { app.idempotent }
    var media: MediaStore { app.media }
    var destinations: DestinationStore { app.destinations }
    var pull: PullQueue { app.pullQueue }
    var queueMessages: QueueMessages { app.queueMessages }
    var payments: PaymentService { app.payments }
    var audit: AuditTrail { app.audit }
    var signals: DispatchSignals { app.signals }
    /// Emptied at once after this process's own admin writes (other processes hear of them
    /// through the database's notification).
    var caches: ProcessCaches { app.caches }
}
