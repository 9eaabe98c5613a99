import IntakeAPI
import IntakeClients
import IntakeCore
import IntakeServices
import IntakeStorage

/// Implements the operations generated from `OpenAPI/openapi.yaml`. Each resource's handlers
/// live in their own `APIService+Resource.swift` file.
struct APIService: APIProtocol {
    /// The process's services (see `AppServices`).
    let app: AppServices
    let migrator: Migrator
    let auth: Authenticator

    var config: IntakeConfig { app.config }
    var database: Database { app.database }
    var keys: AccessService { app.access }
    var councils: CouncilService { app.councils }
    var catalogue: CatalogueService { app.catalogue }
    var reports: ReportService { app.reports }
    var intake: IntakeService { app.intake }
    var idempotent: IdempotentRequests { app.idempotent }
    var media: MediaService { app.media }
    var destinations: DispatchService { app.dispatch }
    var payments: PaymentService { app.payments }
    var audit: AuditTrail { app.audit }
    var signals: DispatchSignals { app.signals }
    var caches: ProcessCaches { app.caches }
}
