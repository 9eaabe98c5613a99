import Foundation
import IntakeClients
import IntakeCore
import IntakeStorage

/// Where cases go: councils' destinations (webhooks, Open311 servers, pull queues) and their
/// figures, the pull queues' receive/ack/visibility and dead letters, and the messages a queue
/// hands out. The worker's side of dispatch is `Dispatcher`.
public struct DispatchService: Sendable {
    let destinations: DestinationStore
    let pull: PullQueue
    let messages: QueueMessages
    let addressGuard: DestinationAddressGuard

    /// A destination change the council's setup refuses.
    public enum Refusal: Error, Equatable {
        /// Another destination of the council has this name.
        case nameTaken
        /// Categories name it, or jobs still wait for it (the reason says which).
        case inUse(String)
    }

    // MARK: Destinations

    public func list(councilID: UUID, kind: Destination.Kind? = nil) async throws -> [Destination] {
        try await destinations.list(councilID: councilID, kind: kind)
    }

    public func find(name: String, councilID: UUID) async throws -> Destination? {
        try await destinations.find(name: name, councilID: councilID)
    }

    public func create(_ definition: DestinationDefinition, councilID: UUID) async throws -> Destination {
        do { return try await destinations.create(definition, councilID: councilID) } catch let error as DestinationStore.WriteError {
            throw Self.refusal(error)
        }
    }

    public func update(_ definition: DestinationDefinition, councilID: UUID) async throws -> Destination? {
        do { return try await destinations.update(definition, councilID: councilID) } catch let error as DestinationStore.WriteError {
            throw Self.refusal(error)
        }
    }

    public func setEnabled(_ enabled: Bool, name: String, councilID: UUID, reason: String? = nil) async throws -> Destination? {
        try await destinations.setEnabled(enabled, name: name, councilID: councilID, reason: reason)
    }

    public func rotateSecret(name: String, councilID: UUID, overlap: Duration) async throws -> Destination? {
        try await destinations.rotateSecret(name: name, councilID: councilID, overlap: overlap)
    }

    /// False when there is no such destination.
    public func delete(name: String, councilID: UUID) async throws -> Bool {
        do { return try await destinations.delete(name: name, councilID: councilID) } catch let error as DestinationStore.WriteError {
            throw Self.refusal(error)
        }
    }

    /// Why `url` may not be saved as a destination (it is, or resolves to, an address inside the
    /// network, unless `DESTINATIONS_ALLOW_PRIVATE`), or nil. The worker checks again before
    /// every delivery.
    public func addressProblem(_ url: String) async -> String? { await addressGuard.problemOnSave(url) }

    public func attempts(destinationID: UUID, limit: Int) async throws -> [DeliveryAttempt] {
        try await destinations.attempts(destinationID: destinationID, limit: limit)
    }

    public func stats(councilID: UUID? = nil, kind: Destination.Kind? = nil) async throws -> [QueueStats] {
        try await destinations.stats(councilID: councilID, kind: kind)
    }

    /// Jobs waiting because their council has no destination for them.
    public func unroutedCount() async throws -> Int { try await destinations.unroutedCount() }

    // MARK: Pull queues

    public func receive(destinationID: UUID, max: Int, visibilitySeconds: Int, holder: String) async throws -> [PullQueue.Received] {
        try await pull.receive(destinationID: destinationID, max: max, visibilitySeconds: visibilitySeconds, holder: holder)
    }

    public func ack(destinationID: UUID, _ entries: [(messageID: UUID, receipt: UUID)]) async throws -> [UUID: PullQueue.AckResult] {
        try await pull.ack(destinationID: destinationID, entries)
    }

    public func changeVisibility(
        destinationID: UUID,
        messageID: UUID,
        receipt: UUID,
        seconds: Int
    ) async throws
        -> PullQueue.AckResult
    {
        try await pull.changeVisibility(destinationID: destinationID, messageID: messageID, receipt: receipt, seconds: seconds)
    }

    public func dead(destinationID: UUID, limit: Int, after: Int64?) async throws -> [PullQueue.DeadMessage] {
        try await pull.dead(destinationID: destinationID, limit: limit, after: after)
    }

    public func redrive(destinationID: UUID, messageID: UUID) async throws -> PullQueue.RedriveResult {
        try await pull.redrive(destinationID: destinationID, messageID: messageID)
    }

    /// The messages received jobs carry, by job id.
    public func build(_ sources: [QueueMessages.Source]) async throws -> [UUID: QueueMessage] { try await messages.build(sources) }

    static func refusal(_ error: DestinationStore.WriteError) -> Refusal {
        switch error {
        case .nameTaken: .nameTaken
        case .inUse(let reason): .inUse(reason)
        }
    }
}
