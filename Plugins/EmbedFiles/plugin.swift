import Foundation
import PackagePlugin

/// Builds the top-level `Migrations/*.sql` and `OpenAPI/openapi.yaml` into the binary, so a
/// deployed `intake` needs no files beside it. (SwiftPM copies a symlinked resource as a dangling
/// link, so resources cannot point at the top-level folders.)
@main
struct EmbedFiles: BuildToolPlugin {
    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let root = context.package.directoryURL
        let inputs: [URL]
        let symbol: String
        switch target.name {
        case "IntakeStorage":
            let folder = root.appending(path: "Migrations")
            inputs = try FileManager.default.contentsOfDirectory(atPath: folder.path())
                .filter { $0.hasSuffix(".sql") }.sorted().map { folder.appending(path: $0) }
            symbol = "EmbeddedMigrations"
        case "IntakeHTTP":
            inputs = [root.appending(path: "OpenAPI/openapi.yaml")]
            symbol = "EmbeddedOpenAPI"
        default:
            return []
        }
        let output = context.pluginWorkDirectoryURL.appending(path: "\(symbol).swift")
        return [
            .buildCommand(
                displayName: "Embedding \(inputs.count) file(s) as \(symbol)",
                executable: try context.tool(named: "embed-files").url,
                arguments: [symbol, output.path()] + inputs.map { $0.path() },
                inputFiles: inputs + [root.appending(path: "Migrations")],
                outputFiles: [output])
        ]
    }
}
