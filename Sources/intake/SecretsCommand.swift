import ArgumentParser
import Foundation
import IntakeCore
import IntakeStorage

/// The key that seals stored secrets: make one, see what it seals, rotate to a new one.
struct SecretsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "secrets",
        abstract: "Manage SECRETS_KEY, the key that seals stored secrets.",
        discussion: """
            Rotation: 1. intake secrets generate-key. 2. Restart every process with the new key in \
            SECRETS_KEY_PREVIOUS. 3. Restart every process with the two swapped (new SECRETS_KEY, old in \
            SECRETS_KEY_PREVIOUS). 4. intake secrets rotate. 5. Restart without the old key.
            """,
        subcommands: [GenerateKey.self, Status.self, Rotate.self]
    )

    struct GenerateKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "generate-key",
            abstract: "Print a new random key for SECRETS_KEY (32 bytes, base64)."
        )

        func run() async throws {
            print(SecretKeyring.Key.generateEncoded())
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Count stored secrets by the key that seals them.")
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let config = try Runtime.loadConfig(settings)
            let (logger, _) = Runtime.bootstrap(config, label: "intake.secrets")
            try await Runtime.withDatabase(config, logger: logger) { database in
                let census = try await SealedSecretsStore(database: database, logger: logger).census()
                let keyring = config.secrets
                for (id, count) in census.sealedByKey.sorted(by: { $0.key < $1.key }) {
                    let role =
                        keyring.current?.id == id ? "SECRETS_KEY" : keyring.knows(keyID: id) ? "SECRETS_KEY_PREVIOUS" : "unknown key"
                    print("\(count) sealed under \(id) (\(role))")
                }
                if census.plain > 0 { print("\(census.plain) in plain text (sealed when serve, worker or dev starts)") }
                if census.total == 0 { print("no stored secrets") }
            }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-seal every stored secret under SECRETS_KEY (after adding the old key to SECRETS_KEY_PREVIOUS)."
        )
        @OptionGroup var settings: SettingsOptions

        func run() async throws {
            let config = try Runtime.loadConfig(settings)
            let (logger, _) = Runtime.bootstrap(config, label: "intake.secrets")
            guard config.secrets.current != nil else {
                FileHandle.standardError.write(Data("intake: SECRETS_KEY is not set: set the new key to rotate to\n".utf8))
                throw ExitCode(78)
            }
            try await Runtime.withDatabase(config, logger: logger) { database in
                let store = SealedSecretsStore(database: database, logger: logger)
                do {
                    let rewritten = try await store.reseal()
                    print("re-sealed \(rewritten) stored secrets under \(config.secrets.current!.id)")
                } catch let failure as SecretKeyring.Failure {
                    FileHandle.standardError.write(Data("intake: \(failure)\n".utf8))
                    throw ExitCode(78)
                }
            }
        }
    }
}
