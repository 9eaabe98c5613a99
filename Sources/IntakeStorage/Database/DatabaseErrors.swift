import PostgresNIO

/// Sorts database errors into "the database is unavailable" (503, try again) and the rest.
public enum DatabaseErrors {
    /// SQLSTATE classes that mean the server cannot serve us now, not that the query is wrong:
    /// 08 connection exception, 53 insufficient resources, 57P0x shutdown/cannot connect now,
    /// 3D000 database does not exist (dropped or renamed under us), 55000 with connections disallowed.
    public static func isUnavailable(_ error: any Error) -> Bool {
        if error is DatabaseUnavailable { return true }
        if let transaction = error as? PostgresTransactionError {
            if let closure = transaction.closureError, isUnavailable(closure) { return true }
            if let begin = transaction.beginError, isUnavailable(begin) { return true }
            if let commit = transaction.commitError, isUnavailable(commit) { return true }
            return false
        }
        guard let psql = error as? PSQLError else { return false }
        switch psql.code {
        case .connectionError, .serverClosedConnection, .clientClosedConnection, .uncleanShutdown, .poolClosed,
            .sslUnsupported, .failedToAddSSLHandler:
            return true
        case .server:
            guard let state = psql.serverInfo?[.sqlState] else { return false }
            return state.hasPrefix("08") || state.hasPrefix("53") || state.hasPrefix("57P")
                || state == "3D000" || state == "55000"
        default:
            return false
        }
    }

    /// SQLSTATE of a server error, if it is one.
    public static func sqlState(_ error: any Error) -> String? {
        if let transaction = error as? PostgresTransactionError {
            return (transaction.closureError ?? transaction.beginError ?? transaction.commitError).flatMap(sqlState)
        }
        return (error as? PSQLError)?.serverInfo?[.sqlState]
    }

    /// One line for logs and start-up errors. `PSQLError.description` hides the server's message
    /// by design; this shows the SQLSTATE and message, which carry no user data for our queries.
    public static func summary(_ error: any Error) -> String {
        if let transaction = error as? PostgresTransactionError,
            let inner = transaction.closureError ?? transaction.beginError ?? transaction.commitError
        {
            return summary(inner)
        }
        if let unavailable = error as? DatabaseUnavailable { return unavailable.reason }
        guard let psql = error as? PSQLError else { return String(describing: error) }
        if let info = psql.serverInfo, let message = info[.message] {
            return "\(message) (SQLSTATE \(info[.sqlState] ?? "?"))"
        }
        if let underlying = psql.underlying { return "\(psql.code): \(underlying)" }
        return "\(psql.code)"
    }
}

/// A statement that always returns a row returned none.
public struct NoRowReturned: Error {}
