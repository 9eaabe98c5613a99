import ArgumentParser
import NIOCore
import NIOPosix

/// The process's entry point. NIO's event loops become Swift Concurrency's global executor
/// before anything else runs, so handlers, the database client and the HTTP server share the
/// same threads instead of handing every request between two pools (measured: a tenth of the
/// server's CPU went to switching threads).
@main
enum Main {
    static func main() async {
        NIOSingletons.unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor()
        await Intake.main()
    }
}

/// `intake`: one binary for every process the service runs.
struct Intake: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "intake",
        abstract: "Civic Intake: report intake, routing and dispatch for UK councils.",
        discussion: "Settings come from environment variables (see README.md); each has a matching --flag.",
        subcommands: [
            ServeCommand.self, WorkerCommand.self, DevCommand.self, MigrateCommand.self, KeysCommand.self, CouncilsCommand.self,
            SeedDemoCommand.self, SecretsCommand.self, HousekeepingCommand.self,
        ]
    )
}
