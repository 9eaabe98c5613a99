import ArgumentParser
import Foundation
import IntakeCore
import IntakeDemo
import IntakeServices
import IntakeStorage

struct CouncilsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "councils",
        abstract: "Manage councils.",
        subcommands: [Import.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import council boundaries from a GeoJSON FeatureCollection (ONS / OS Boundary-Line).",
            discussion: """
                Each feature becomes a council, or replaces the boundary of the council it matches (by the code \
                property when given, else by the slug made from the name). Broken features are reported and \
                skipped; the exit code is 65 if any was.
                """
        )
        @OptionGroup var settings: SettingsOptions
        @Argument(help: "The GeoJSON file.") var file: String
        @Option(help: "The feature property that names the council, e.g. LAD23NM.") var nameProperty: String
        @Option(help: "The feature property with its ONS code, e.g. LAD23CD.") var codeProperty: String?
        @Option(help: "Tier of councils the import creates: county, district, unitary, metropolitan, london_borough, parish.")
        var tier: String = "district"

        func validate() throws {
            guard Council.Tier(rawValue: tier) != nil else { throw ValidationError("--tier '\(tier)' is not a tier") }
        }

        func run() async throws {
            let config = try Runtime.loadConfig(settings)
            let (logger, _) = Runtime.bootstrap(config, label: "intake.import")
            guard let data = FileManager.default.contents(atPath: file) else {
                FileHandle.standardError.write(Data("intake: cannot read \(file)\n".utf8))
                throw ExitCode(66)
            }
            let options = BoundaryImporter.Options(
                nameProperty: nameProperty,
                codeProperty: codeProperty,
                tier: Council.Tier(rawValue: tier)!
            )
            let outcomes = try await Runtime.withDatabase(config, logger: logger) { database in
                do {
                    return try await AppServices(config: config, database: database, logger: logger).boundaryImporter.importCollection(
                        data,
                        options: options,
                        progress: { done, total in
                            // A progress line on stderr for large files, rewritten in place.
                            if total >= 20 && (done % 10 == 0 || done == total) {
                                FileHandle.standardError.write(Data("\rimported \(done)/\(total) features".utf8))
                                if done == total { FileHandle.standardError.write(Data("\n".utf8)) }
                            }
                        }
                    )
                } catch let error as BoundaryImporter.ImportError {
                    FileHandle.standardError.write(Data("intake: \(file): \(error)\n".utf8))
                    throw ExitCode(65)
                }
            }
            var failures = 0
            for outcome in outcomes {
                let label = "feature \(outcome.index)" + (outcome.name.map { " (\($0))" } ?? "")
                switch outcome.result {
                case .created(let slug): print("\(label): created \(slug), \(outcome.vertices) vertices")
                case .updated(let slug): print("\(label): updated \(slug), \(outcome.vertices) vertices")
                case .failed(let reason):
                    failures += 1
                    print("\(label): skipped: \(reason)")
                }
                for warning in outcome.warnings { print("\(label): warning: \(warning)") }
            }
            print("\(outcomes.count - failures) of \(outcomes.count) features imported")
            if failures > 0 { throw ExitCode(65) }
        }
    }
}

struct SeedDemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed-demo",
        abstract: "Create the demo councils, categories and keys (safe to run again; local use only)."
    )
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        let config = try Runtime.loadConfig(settings)
        let (logger, _) = Runtime.bootstrap(config, label: "intake.seed")
        let keys = try await Runtime.withDatabase(config, logger: logger) { database in
            do {
                return try await DemoSeed(database: database, logger: logger).run()
            } catch let failure as SecretKeyring.Failure {
                // The demo's payment settings hold a webhook secret, which is stored sealed.
                FileHandle.standardError.write(Data("intake: \(failure)\n".utf8))
                throw ExitCode(78)
            }
        }
        print("Demo councils: barsetshire (county) with districts barchester and plumstead; silverbridge (unitary).")
        print("Each council's cases wait in its pull queue `cases` (POST /v1/backoffice/queues/cases/receive).")
        for key in keys {
            switch key.role {
            case .backoffice: print("backoffice key for \(key.councilSlug ?? "?"): \(key.token.text)")
            default: print("\(key.role.rawValue) key: \(key.token.text)")
            }
        }
    }
}
