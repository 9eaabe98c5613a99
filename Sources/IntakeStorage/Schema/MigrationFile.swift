import Crypto
import Foundation

/// One numbered SQL file from `Migrations/`, e.g. `0003_reports.sql`.
public struct MigrationFile: Sendable, Equatable {
    public var version: Int
    public var name: String
    public var sql: String
    /// SHA-256 of the file's bytes, recorded when applied so a later edit is noticed.
    public var checksum: String

    public init(version: Int, name: String, sql: String) {
        self.version = version
        self.name = name
        self.sql = sql
        self.checksum = SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// The ordered set of migrations a build knows.
public struct MigrationSet: Sendable {
    public var files: [MigrationFile]

    public init(files: [MigrationFile]) {
        self.files = files.sorted { $0.version < $1.version }
    }

    /// The migrations built into the binary: the top-level `Migrations/` folder at build time.
    public static func bundled() throws -> MigrationSet {
        try parse(EmbeddedMigrations.files.map { ($0.name, String(decoding: $0.contents, as: UTF8.self)) })
    }

    /// Reads `NNNN_name.sql` files from a folder; anything else there is refused, so a typo in a
    /// file name cannot silently skip a migration.
    public static func load(directory: URL) throws -> MigrationSet {
        let names: [String]
        do {
            names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        } catch {
            throw MigrationError.noMigrationsFolder("cannot read \(directory.path)")
        }
        var contents: [(String, String)] = []
        for name in names.sorted() where !name.hasPrefix(".") {
            contents.append((name, try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)))
        }
        return try parse(contents)
    }

    static func parse(_ contents: [(name: String, sql: String)]) throws -> MigrationSet {
        var files: [MigrationFile] = []
        var seen: [Int: String] = [:]
        for (name, sql) in contents.sorted(by: { $0.name < $1.name }) {
            guard name.hasSuffix(".sql"), let underscore = name.firstIndex(of: "_"),
                let version = Int(name[..<underscore]), version > 0
            else {
                throw MigrationError.badFileName(name)
            }
            if let other = seen[version] { throw MigrationError.duplicateVersion(version, other, name) }
            seen[version] = name
            files.append(MigrationFile(version: version, name: name, sql: sql))
        }
        return MigrationSet(files: files)
    }
}

public enum MigrationError: Error, Equatable, CustomStringConvertible {
    case noMigrationsFolder(String)
    case badFileName(String)
    case duplicateVersion(Int, String, String)
    /// An applied migration's file changed afterwards: the database no longer matches the code.
    case editedAfterApply(name: String, recorded: String, current: String)
    /// The database has a migration this build does not know (it is older than the database).
    case unknownApplied(version: Int, name: String)
    case failed(name: String, reason: String)

    public var description: String {
        switch self {
        case .noMigrationsFolder(let why): "no migrations: \(why)"
        case .badFileName(let name): "migration file '\(name)' is not named NNNN_description.sql"
        case .duplicateVersion(let version, let a, let b): "migrations '\(a)' and '\(b)' share version \(version)"
        case .editedAfterApply(let name, let recorded, let current):
            "migration \(name) was edited after it was applied (recorded checksum \(recorded.prefix(12))…, file now \(current.prefix(12))…); add a new migration instead of editing an applied one"
        case .unknownApplied(let version, let name):
            "the database has migration \(version) (\(name)) that this build does not know; run a newer build"
        case .failed(let name, let reason): "migration \(name) failed and was rolled back: \(reason)"
        }
    }
}
