import Foundation
import IntakeCore
import IntakeStorage

/// Councils' GOV.UK Notify settings. (What is sent, and when, builds on these.)
public struct NotificationService: Sendable {
    let settingsStore: NotifySettingsStore

    public func settings(councilID: UUID) async throws -> NotifySettings? { try await settingsStore.find(councilID: councilID) }

    public func putSettings(councilID: UUID, _ settings: NotifySettings) async throws {
        try await settingsStore.put(councilID: councilID, settings)
    }
}
