import AsyncHTTPClient
import Foundation
import Logging
import NIOCore
import NIOWebSocket
import Synchronization
import WSClient

/// Headless Chromium (Debian's `chromium-headless-shell`, or `CHROMIUM`), driven over the
/// Chrome DevTools Protocol: a real browser loading and submitting our pages.
public final class Chromium: Sendable {
    public enum Failure: Error, CustomStringConvertible {
        case notInstalled
        case noDevTools(String)
        case protocolError(String)

        public var description: String {
            switch self {
            case .notInstalled: "headless Chromium is not installed (apt-get install chromium-headless-shell, or set CHROMIUM)"
            case .noDevTools(let log): "Chromium did not open its DevTools port: \(log)"
            case .protocolError(let text): "DevTools: \(text)"
            }
        }
    }

    let process: Process
    let devToolsPort: Int
    let profile: URL

    public static func executable() -> String? {
        // The binary itself, not Debian's /usr/bin wrapper script: signals must reach the browser.
        let candidates = [
            ProcessInfo.processInfo.environment["CHROMIUM"], "/usr/lib/chromium/chromium-headless-shell", "/usr/lib/chromium/chromium",
            "/usr/bin/chromium-headless-shell",
        ]
        return candidates.compactMap { $0 }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    /// Starts the browser on `url` and waits for its DevTools port.
    public static func launch(_ url: String) async throws -> Chromium {
        guard let executable = executable() else { throw Failure.notInstalled }
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("chromium-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true)
        let log = profile.appendingPathComponent("stderr.log")
        _ = FileManager.default.createFile(atPath: log.path, contents: nil)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "--headless", "--no-sandbox", "--window-size=1280,900", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
            "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0", "--remote-allow-origins=*",
            "--user-data-dir=\(profile.path)", url,
        ]
        process.standardError = try FileHandle(forWritingTo: log)
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Chromium writes the port it chose to DevToolsActivePort in its profile.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = ContinuousClock.now + .seconds(30)
        while ContinuousClock.now < deadline {
            let text = (try? String(contentsOf: portFile, encoding: .utf8)) ?? ""
            if let line = text.split(separator: "\n").first, let port = Int(line) {
                return Chromium(process: process, devToolsPort: port, profile: profile)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        process.terminate()
        throw Failure.noDevTools((try? String(contentsOf: log, encoding: .utf8)) ?? "")
    }

    private init(process: Process, devToolsPort: Int, profile: URL) {
        self.process = process
        self.devToolsPort = devToolsPort
        self.profile = profile
    }

    /// Stops the browser and every process it started (they all name its profile directory).
    public func close() async {
        if process.isRunning { process.terminate() }
        let deadline = ContinuousClock.now + .seconds(5)
        while process.isRunning && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(50)) }
        let pkill = Process()
        pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        pkill.arguments = ["-KILL", "-f", profile.path]
        try? pkill.run()
        while pkill.isRunning { try? await Task.sleep(for: .milliseconds(20)) }
        try? FileManager.default.removeItem(at: profile)
    }

    /// The DevTools socket of the first page.
    public func pageSocket() async throws -> String {
        let request = HTTPClientRequest(url: "http://127.0.0.1:\(devToolsPort)/json/list")
        let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
        let body = try await response.body.collect(upTo: 1 << 20)
        let targets = try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [[String: Any]] ?? []
        guard let page = targets.first(where: { $0["type"] as? String == "page" }), let socket = page["webSocketDebuggerUrl"] as? String
        else { throw Failure.protocolError("no page target in \(targets)") }
        return socket
    }

    /// A step of a browser session: a script evaluated in the page (awaiting its promise; its
    /// value is the step's text), or a PNG screenshot of the whole page saved to a file (the
    /// step's text is the file's path).
    public enum Step: Sendable {
        case script(String)
        case screenshot(URL)
    }

    /// Evaluates each script in the page in turn (awaiting promises) and returns their values
    /// as text.
    public func evaluate(_ scripts: [String]) async throws -> [String] {
        try await run(scripts.map(Step.script))
    }

    /// Runs the steps in turn over one DevTools connection.
    public func run(_ steps: [Step]) async throws -> [String] {
        let socket = try await pageSocket()
        let results = Mutex<[String]>([])
        let failure = Mutex<String?>(nil)
        var logger = Logger(label: "cdp")
        logger.logLevel = .critical
        try await WebSocketClient.connect(url: socket, configuration: .init(maxFrameSize: 1 << 24), logger: logger) { inbound, outbound, _ in
            var messages = inbound.messages(maxSize: 1 << 24).makeAsyncIterator()
            var id = 0
            for step in steps {
                // A script started while the page is still navigating loses its context: run it again.
                var retries = 0
                while true {
                    id += 1
                    let command: [String: Any]
                    switch step {
                    case .script(let script):
                        command = [
                            "id": id, "method": "Runtime.evaluate",
                            "params": ["expression": script, "awaitPromise": true, "returnByValue": true],
                        ]
                    case .screenshot:
                        // The whole page, not only what fits the window.
                        command = ["id": id, "method": "Page.captureScreenshot", "params": ["format": "png", "captureBeyondViewport": true]]
                    }
                    let text = String(decoding: try JSONSerialization.data(withJSONObject: command), as: UTF8.self)
                    try await outbound.write(.text(text))
                    var reply: [String: Any]?
                    while let message = try await messages.next() {
                        guard case .text(let text) = message,
                            let json = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], json["id"] as? Int == id
                        else { continue }
                        reply = json
                        break
                    }
                    guard let reply else {
                        failure.withLock { $0 = "the connection closed" }
                        return
                    }
                    let result = reply["result"] as? [String: Any]
                    if let problem = result?["exceptionDetails"] ?? reply["error"] {
                        let navigating = ["context was destroyed", "navigated or closed", "Cannot find context"]
                        if case .script = step, navigating.contains(where: { "\(problem)".contains($0) }) && retries < 50 {
                            retries += 1
                            try await Task.sleep(for: .milliseconds(100))
                            continue
                        }
                        failure.withLock { $0 = "\(step): \(problem)" }
                        try await outbound.close(.normalClosure, reason: nil)
                        return
                    }
                    switch step {
                    case .script:
                        let value = result?["result"] as? [String: Any]
                        results.withLock { $0.append(value.map { "\($0["value"] ?? "")" } ?? "") }
                    case .screenshot(let file):
                        let data = (result?["data"] as? String).flatMap { Data(base64Encoded: $0) } ?? Data()
                        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
                        try data.write(to: file)
                        results.withLock { $0.append(file.path) }
                    }
                    break
                }
            }
            try await outbound.close(.normalClosure, reason: nil)
        }
        if let failure = failure.withLock({ $0 }) { throw Failure.protocolError(failure) }
        return results.withLock { $0 }
    }

    /// Where browser tests save their screenshots: `TEST_ARTEFACTS` (CI keeps it), else
    /// `.build/test-artefacts` in the package.
    public static func artefacts(_ name: String) -> URL {
        let root =
            ProcessInfo.processInfo.environment["TEST_ARTEFACTS"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath).appendingPathComponent(".build/test-artefacts")
        return root.appendingPathComponent(name)
    }
}
