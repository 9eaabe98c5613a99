import ArgumentParser

struct WorkerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "worker", abstract: "Run the dispatch worker.")
    @OptionGroup var settings: SettingsOptions

    func run() async throws {
        try await Runtime.runProcess(settings, label: "intake.worker", roles: .worker)
    }
}
