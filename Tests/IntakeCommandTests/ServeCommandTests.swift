import AsyncHTTPClient
import Foundation
import IntakeTestSupport
import NIOCore
import Testing

@Suite struct ServeCommandTests {
    @Test func servesLogsEveryRequestWithItsIdAndStopsCleanlyOnSIGTERM() async throws {
        try await withTestDatabase { testDB in
            let server = try IntakeProcess(
                ["serve"],
                environment: ["DATABASE_URL": testDB.settings.url, "HTTP_PORT": "0", "LOG_FORMAT": "json"]
            )
            guard let listening = await server.waitForLine(containing: "\"listening\"", timeout: .seconds(30)),
                let port = Self.port(in: listening)
            else {
                Issue.record("server did not start: \(server.stdout) \(server.stderr)")
                _ = await server.waitForExit(timeout: .seconds(1))
                return
            }

            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/health/ready")
            request.headers.add(name: "X-Request-Id", value: "trace-abc-123")
            let response = try await HTTPClient.shared.execute(request, timeout: .seconds(10))
            #expect(response.status == .ok)
            #expect(response.headers.first(name: "X-Request-Id") == "trace-abc-123")
            _ = try await response.body.collect(upTo: 1 << 20)

            let missing = try await HTTPClient.shared.execute(
                HTTPClientRequest(url: "http://127.0.0.1:\(port)/nothing/here"),
                timeout: .seconds(10)
            )
            #expect(missing.status == .notFound)
            let generatedID = missing.headers.first(name: "X-Request-Id")
            #expect(generatedID?.count == 36)
            _ = try await missing.body.collect(upTo: 1 << 20)

            server.signal(SIGTERM)
            let status = await server.waitForExit(timeout: .seconds(15))
            #expect(status == 0, "\(server.stderr)")

            let lines = server.jsonLines
            let requestLines = lines.filter { $0["message"] as? String == "request" }
            #expect(requestLines.count == 2, "one log line per request")
            #expect(requestLines.contains { $0["request_id"] as? String == "trace-abc-123" && $0["status"] as? String == "200" })
            #expect(requestLines.contains { $0["request_id"] as? String == generatedID && $0["status"] as? String == "404" })
            #expect(lines.contains { $0["message"] as? String == "stopped" })
        }
    }

    @Test func workerRunsAndStopsOnSIGINT() async throws {
        try await withTestDatabase { testDB in
            let worker = try IntakeProcess(
                ["worker"],
                environment: ["DATABASE_URL": testDB.settings.url, "WORKER_POLL_INTERVAL": "0.1"]
            )
            #expect(await worker.waitForLine(containing: "worker started", timeout: .seconds(30)) != nil)
            try await Task.sleep(for: .milliseconds(300))
            #expect(worker.isRunning)
            worker.signal(SIGINT)
            #expect(await worker.waitForExit(timeout: .seconds(10)) == 0)
            #expect(worker.stdout.contains("worker stopped"))
        }
    }

    static func port(in line: String) -> Int? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
        return (object["port"] as? String).flatMap(Int.init)
    }
}
