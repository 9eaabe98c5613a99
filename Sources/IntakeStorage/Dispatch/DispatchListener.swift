import Foundation
import Logging
import PostgresNIO
import ServiceLifecycle

extension Database {
    /// Tells listening workers and long-polling receivers that a job for `destinationID` (nil:
    /// not yet routed) has committed. Call it after the commit, never inside the transaction.
    public func announceJob(for destinationID: UUID?) {
        announce(channel: DispatchListener.channel, payload: destinationID?.uuidString.lowercased() ?? "")
    }
}

/// Holds one connection LISTENing on `dispatch_jobs` (`onJob` with each notification's payload,
/// the destination id or empty; `onJob(nil)` after a gap, when any job may have come)
/// and on `intake_cache` (telling the process's caches what changed). Notifications are only a
/// hint for dispatch: if this connection drops or goes quiet, waiters still wake on their poll
/// interval. Caches are another matter: `onListening(false)` tells them to stop trusting what
/// they hold until the connection is back (`onListening(true)`, after LISTEN succeeded).
public struct DispatchListener: Service {
    public static let channel = "dispatch_jobs"
    public static let cacheChannel = "intake_cache"

    let database: Database
    let onJob: @Sendable (String?) -> Void
    let channel: String
    let onCacheChange: @Sendable (String) -> Void
    let onListening: @Sendable (Bool) -> Void
    let logger: Logger

    public init(
        database: Database,
        channel: String = Self.channel,
        onJob: @escaping @Sendable (String?) -> Void,
        onCacheChange: @escaping @Sendable (String) -> Void = { _ in },
        onListening: @escaping @Sendable (Bool) -> Void = { _ in },
        logger: Logger
    ) {
        self.database = database
        self.onJob = onJob
        self.channel = channel
        self.onCacheChange = onCacheChange
        self.onListening = onListening
        self.logger = logger
    }

    public func run() async throws {
        defer { onListening(false) }
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await cancelWhenGracefulShutdown { [database, channel, onJob, onCacheChange, onListening, logger] in
                    try await database.client.withConnection { connection in
                        try await connection.listen(on: channel) { jobs in
                            try await connection.listen(on: Self.cacheChannel) { changes in
                                onListening(true)
                                logger.info("listening for database notifications")
                                try await withThrowingTaskGroup(of: Void.self) { group in
                                    group.addTask { for try await notification in jobs { onJob(notification.payload) } }
                                    group.addTask { for try await notification in changes { onCacheChange(notification.payload) } }
                                    // Either stream ending means the connection is gone.
                                    try await group.next()
                                    group.cancelAll()
                                }
                            }
                        }
                    }
                }
            } catch {
                onListening(false)
                if Task.isShuttingDownGracefully || Task.isCancelled { break }
                logger.warning(
                    "database notifications interrupted; polling meanwhile",
                    metadata: ["error": .string(DatabaseErrors.summary(error))]
                )
            }
            onListening(false)
            // Any gap is covered by waiters' polls; ring once so nobody waits a full interval.
            onJob(nil)
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(1)) }
        }
    }
}
