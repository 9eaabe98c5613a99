import Foundation
import IntakeCore
import IntakeTestSupport

/// Runs the built `intake` binary as an operator would, capturing its output.
final class IntakeProcess: @unchecked Sendable {
    static let binary: URL = {
        // Tests/IntakeCommandTests/IntakeProcess.swift → package root → .build/debug/intake
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/debug/intake")
    }()

    private let process: Process
    private let outputDirectory: URL
    private var stdoutFile: URL { outputDirectory.appendingPathComponent("stdout") }
    private var stderrFile: URL { outputDirectory.appendingPathComponent("stderr") }

    /// The output goes to files through the shell (`exec` keeps the pid), not through pipes:
    /// Foundation's Pipe handling can close a descriptor twice, and in a busy test process that
    /// descriptor number may already belong to someone else (a socket, a timer).
    init(_ arguments: [String], environment: [String: String]) throws {
        outputDirectory = FileManager.default.temporaryDirectory.appendingPathComponent("intake-process-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outputDirectory, withIntermediateDirectories: true)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments =
            [
                "-c", #"out="$1"; err="$2"; shift 2; exec "$@" >"$out" 2>"$err" </dev/null"#, "sh",
                outputDirectory.appendingPathComponent("stdout").path, outputDirectory.appendingPathComponent("stderr").path,
                Self.binary.path,
            ] + arguments
        // A clean environment: only what the test sets, plus PATH and the tests' SECRETS_KEY
        // (a test that sets SECRETS_KEY, even to "", keeps its own).
        process.environment = environment.merging(
            ["PATH": ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin", "SECRETS_KEY": TestSecrets.keyText]) { a, _ in a }
        try process.run()
    }

    var stdout: String { (try? String(contentsOf: stdoutFile, encoding: .utf8)) ?? "" }
    var stderr: String { (try? String(contentsOf: stderrFile, encoding: .utf8)) ?? "" }
    var isRunning: Bool { process.isRunning }
    var pid: Int32 { process.processIdentifier }

    func signal(_ number: Int32) { kill(process.processIdentifier, number) }

    /// Waits for exit up to `timeout`; kills the process and returns nil if it is still running.
    func waitForExit(timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            return nil
        }
        // Let the pipes drain.
        try? await Task.sleep(for: .milliseconds(100))
        return process.terminationStatus
    }

    /// Waits until a stdout line contains `text`; returns that line.
    func waitForLine(containing text: String, timeout: Duration) async -> String? {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if let line = stdout.split(separator: "\n").first(where: { $0.contains(text) }) { return String(line) }
            if !process.isRunning { return nil }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return nil
    }

    /// Parsed JSON log lines (LOG_FORMAT=json).
    var jsonLines: [[String: Any]] {
        stdout.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Runs to completion and returns (exit status, stdout, stderr).
    static func run(
        _ arguments: [String],
        environment: [String: String],
        timeout: Duration = .seconds(30)
    ) async throws
        -> (status: Int32?, stdout: String, stderr: String)
    {
        let process = try IntakeProcess(arguments, environment: environment)
        let status = await process.waitForExit(timeout: timeout)
        return (status, process.stdout, process.stderr)
    }
}

extension DatabaseSettings {
    /// The URL form the binary reads from DATABASE_URL.
    var url: String {
        "postgres://\(username)\(password.map { ":\($0)" } ?? "")@\(host):\(port)/\(database)?sslmode=disable"
    }
}
