import ArgumentParser
import Foundation
import IntakeCore
import IntakeServices
import IntakeStorage
import Logging

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create and revoke API keys.",
        subcommands: [Create.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a key and print it once (only its hash is stored).",
            discussion: "Bootstrap the first admin key with: intake keys create --role admin"
        )
        @OptionGroup var settings: SettingsOptions
        @Option(help: "client, backoffice or admin.") var role: String
        @Option(help: "The council a backoffice key belongs to (its slug).") var council: String?
        @Option(help: "A note for operators, e.g. the app or system that uses the key.") var label: String = ""
        @Option(help: "Days until the key stops working (default: never).") var expiresInDays: Int?

        func validate() throws {
            guard Role(rawValue: role) != nil else { throw ValidationError("--role must be client, backoffice or admin") }
            if let days = expiresInDays, days < 1 { throw ValidationError("--expires-in-days must be at least 1") }
        }

        func run() async throws {
            let config = try Runtime.loadConfig(settings)
            let (logger, _) = Runtime.bootstrap(config, label: "intake.keys")
            let role = Role(rawValue: role)!
            let expiresAt = expiresInDays.map { Date().addingTimeInterval(Double($0) * 86_400) }
            try await Runtime.withDatabase(config, logger: logger) { [council, label] database in
                var asked = ["role": role.rawValue, "label": label]
                if let council { asked["council"] = council }
                let app = AppServices(config: config, database: database, logger: logger)
                let audit = try await CommandLineAudit.begin(
                    app,
                    action: "api_key.create",
                    command: "keys create",
                    councilSlug: council,
                    changes: asked
                )
                do {
                    let created = try await app.access
                        .create(role: role, councilSlug: council, label: label, expiresAt: expiresAt)

                    let scope = created.councilSlug.map { " for council \($0)" } ?? ""
                    print("\(role.rawValue) key\(scope) (shown once, store it now): \(created.token.text)")
                    // After the key is shown: a failure to complete the entry must not lose a live key.
                    do {
                        try await audit.complete(status: 201, notes: ["key_prefix": created.token.displayPrefix])
                    } catch {
                        logger.warning(
                            "could not complete the audit entry of the new key",
                            metadata: ["key_prefix": "\(created.token.displayPrefix)"]
                        )
                    }
                } catch let error as AccessService.KeyRefused {
                    try? await audit.complete(status: 422, notes: [:])
                    let message =
                        switch error {
                        case .councilRequired: "a backoffice key needs --council SLUG"
                        case .councilNotAllowed: "only backoffice keys belong to a council; drop --council"
                        case .unknownCouncil(let slug): "no council has the slug '\(slug)'"
                        }
                    FileHandle.standardError.write(Data("intake: \(message)\n".utf8))
                    throw ExitCode(65)
                }
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its visible prefix (ci_…).")
        @OptionGroup var settings: SettingsOptions
        @Argument(help: "The key's prefix, e.g. ci_1a2b3c4d5e.") var prefix: String

        func run() async throws {
            let config = try Runtime.loadConfig(settings)
            let (logger, _) = Runtime.bootstrap(config, label: "intake.keys")
            // A whole key pasted instead of its prefix: only the prefix is used, shown or kept.
            let prefix = APIKeyToken(parsing: self.prefix)?.displayPrefix ?? self.prefix
            try await Runtime.withDatabase(config, logger: logger) { [prefix] database in
                let app = AppServices(config: config, database: database, logger: logger)
                let audit = try await CommandLineAudit.begin(
                    app,
                    action: "api_key.revoke",
                    command: "keys revoke",
                    councilSlug: nil,
                    target: ["prefix": prefix]
                )
                let revoked = try await app.access.revoke(prefix: prefix)
                try await audit.complete(status: revoked ? 204 : 404, notes: [:])
                if revoked {
                    print("revoked \(prefix)")
                } else {
                    FileHandle.standardError.write(Data("intake: no live key has the prefix \(prefix)\n".utf8))
                    throw ExitCode(65)
                }
            }
        }
    }
}
