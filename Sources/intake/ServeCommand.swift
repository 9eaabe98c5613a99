import ArgumentParser

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Serve the HTTP API.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        try await Runtime.runProcess(settings, label: "intake.api", roles: .api)
    }
}
