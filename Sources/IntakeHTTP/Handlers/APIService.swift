import IntakeAPI
import IntakeCore
import IntakePayments
import IntakeServices
import IntakeStorage

/// Implements the operations generated from `OpenAPI/openapi.yaml`. Each resource's handlers
/// live in their own `APIService+Resource.swift` file.
struct APIService: APIProtocol {
    let config: IntakeConfig
    let database: Database
    let migrator: Migrator
    let auth: Authenticator
    let keys: APIKeyStore
    let councils: CouncilStore
    let boundaries: BoundaryStore
    let categories: CategoryStore
    let catalogue: RoutingCatalogue
    let reports: ReportStore
    let intake: IntakeService
    let idempotent: IdempotentRequests
    let media: MediaStore
    let destinations: DestinationStore
    let pull: PullQueue
    let queueMessages: QueueMessages
    let payments: PaymentService
    let audit: AuditTrail
    let signals: DispatchSignals
    /// Emptied at once after this process's own admin writes (other processes hear of them
    /// through the database's notification).
    let caches: ProcessCaches
}
