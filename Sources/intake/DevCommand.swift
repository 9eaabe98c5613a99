import ArgumentParser

struct DevCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dev",
        abstract: "Serve the API and run the worker in one process (local default)."
    )
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        try await Runtime.runProcess(settings, label: "intake.dev", roles: [.api, .worker])
    }
}
