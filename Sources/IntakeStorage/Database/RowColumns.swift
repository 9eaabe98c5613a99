import PostgresNIO

/// Rows read by column name. A store's row is a small struct that names the columns it reads,
/// so the select list and the mapping cannot drift apart unnoticed: a column the query does not
/// return fails loudly (`MissingColumn`) instead of shifting every position after it.
protocol RowDecodable: Sendable {
    init(columns: RowColumns) throws
}

/// One row's cells by name (postgres-nio's own lookup stops the process on an unknown name).
struct RowColumns {
    let row: PostgresRandomAccessRow

    init(_ row: PostgresRow) { self.row = row.makeRandomAccess() }

    func callAsFunction<T: PostgresDecodable>(_ column: String, as type: T.Type = T.self) throws -> T {
        guard row.contains(column) else { throw MissingColumn(column: column) }
        return try row[column].decode(T.self, context: .default)
    }
}

/// A query did not return a column its row reads: a programming error, caught by the tests.
struct MissingColumn: Error, CustomStringConvertible {
    var column: String
    var description: String { "the query returns no column \"\(column)\"" }
}

extension PostgresRow {
    func read<R: RowDecodable>(_ type: R.Type) throws -> R { try R(columns: RowColumns(self)) }
}

extension PostgresRowSequence {
    /// Every row, read as `R`.
    func collect<R: RowDecodable>(_ type: R.Type) async throws -> [R] {
        var rows: [R] = []
        for try await row in self { rows.append(try row.read(R.self)) }
        return rows
    }

    /// The first row as `R`, or nil when there is none.
    func first<R: RowDecodable>(_ type: R.Type) async throws -> R? {
        for try await row in self { return try row.read(R.self) }
        return nil
    }
}
