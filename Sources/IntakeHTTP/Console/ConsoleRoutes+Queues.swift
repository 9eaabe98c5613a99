import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import IntakeStorage

/// The council's queues: depth, attempts and dead letters with redrive.
extension ConsoleRoutes {
    func queuesPage(_ request: Request) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let csrf = Self.csrf(for: token)
        let stats = Dictionary(uniqueKeysWithValues: try await dispatch.stats(councilID: account.council.id).map { ($0.destinationID, $0) })
        var queues: [[String: Any]] = []
        for destination in try await dispatch.list(councilID: account.council.id) {
            let figures = stats[destination.id]
            let attempts = try await dispatch.attempts(destinationID: destination.id, limit: 20)
            let dead = try await dispatch.dead(destinationID: destination.id, limit: 50, after: nil)
            queues.append([
                "name": destination.name, "kind": destination.kind.rawValue, "depth": figures?.depth ?? 0, "inFlight": figures?.inFlight ?? 0,
                "oldest": Self.age(figures?.oldestAgeSeconds ?? 0), "dead": figures?.dead ?? 0,
                "enabled": destination.disabledAt == nil ? "yes" : "no: \(destination.disabledReason ?? "disabled")",
                "attempts": attempts.map { attempt -> [String: Any] in
                    [
                        "when": InternetDate.format(attempt.startedAt), "type": attempt.eventType, "attempt": attempt.attempt,
                        "outcome": attempt.outcome.rawValue, "status": attempt.statusCode.map(String.init) ?? "none",
                        "ms": attempt.durationMilliseconds, "excerpt": attempt.error ?? attempt.responseExcerpt ?? "",
                    ]
                },
                "deadMessages": dead.map { message -> [String: Any] in
                    [
                        "id": message.messageID.uuidString.lowercased(), "type": message.eventType, "attempts": message.attempts,
                        "error": message.lastError ?? "", "died": message.diedAt.map(InternetDate.format) ?? "", "queue": destination.name,
                        "csrf": csrf,
                    ]
                },
            ])
        }
        return page(
            title: "Queues",
            content: ConsoleTemplates.render("queues", ["queues": queues, "council": account.council.name]),
            error: false,
            status: .ok,
            account: account,
            csrf: csrf
        )
    }

    static func age(_ seconds: Double) -> String {
        switch seconds {
        case ..<1: "none"
        case ..<120: "\(Int(seconds)) s"
        case ..<7200: "\(Int(seconds / 60)) min"
        default: "\(Int(seconds / 3600)) h"
        }
    }

    /// Puts a dead message back in its queue, as the destinations API does, audited.
    func redrive(_ request: Request, queue: String, message: String, requestID: String) async throws -> Response {
        guard let (token, account) = try await session(request) else {
            return Response(status: .seeOther, headers: [.location: "/console/login"])
        }
        let form = try await Self.form(request)
        guard Self.formTokenMatches(form, session: token) else {
            return forbidden()
        }
        guard let destination = try await dispatch.find(name: queue, councilID: account.council.id), let messageID = UUID(uuidString: message) else {
            return notFound(account: account, token: token)
        }
        let entry = try await beginAudit(
            account,
            requestID: requestID,
            action: "destination.dead.redrive",
            route: "/console/queues/{name}/dead/{message_id}/redrive",
            target: ["name": destination.name, "message_id": messageID.uuidString.lowercased()],
            changes: "{}"
        )
        let result = try await dispatch.redrive(destinationID: destination.id, messageID: messageID)
        try await audit.complete(id: entry, status: result == .redriven ? 303 : 409, notes: [:])
        return Response(status: .seeOther, headers: [.location: "/console/queues#queue-\(destination.name)"])
    }
}
