import ArgumentParser

/// `intake`: one binary for every process the service runs.
@main
struct Intake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Civic Intake: report intake, routing and dispatch for UK councils.",
        discussion: "Settings come from environment variables (see README.md); each has a matching --flag.",
        subcommands: [ServeCommand.self, WorkerCommand.self, DevCommand.self, MigrateCommand.self, KeysCommand.self, CouncilsCommand.self,
            SeedDemoCommand.self,
        ]
    )
}
