import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

/// Holds one connection LISTENing on `dispatch_jobs` and rings the signals for each
/// notification. Notifications are only a hint: if this connection drops or goes quiet, waiters
/// still wake on their poll interval, so nothing is delivered late by more than that.
public struct DispatchListener: Service {
    public static let channel = "dispatch_jobs"

    let database: Database
    let signals: DispatchSignals
    let channel: String
    let logger: Logger

    public init(database: Database, signals: DispatchSignals, channel: String = Self.channel, logger: Logger) {
        self.database = database
        self.signals = signals
        self.channel = channel
        self.logger = logger
    }

    public func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { [database, channel, signals] in
                    try await database.client.withConnection { connection in
                        for try await notification in try await connection.listen(channel) {
                            signals.ring(payload: notification.payload)
                        }
                    }
                }
            } catch {
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.warning(
                    "dispatch notifications interrupted; polling meanwhile",
                    metadata: ["error": .string(DatabaseErrors.summary(error))])
            }
            // Any gap is covered by waiters' polls; ring once so nobody waits a full interval.
            signals.any.ring()
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
