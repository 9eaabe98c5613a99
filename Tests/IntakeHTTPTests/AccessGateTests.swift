import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// Who may call is decided before the body is read: a caller without the right key gets 401,
/// 403 or 404 whatever it sent, never a 422 that describes the body the operation expects.
@Suite struct AccessGateTests {
    /// The contract's operations that require a key (`security:`), as "METHOD /path".
    static func securedOperations() throws -> Set<String> {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("OpenAPI/openapi.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        var secured: Set<String> = []
        var inPaths = false
        var path = ""
        var operation = ""
        for line in lines {
            if line.hasPrefix("paths:") {
                inPaths = true
                continue
            }
            if inPaths, let first = line.first, !first.isWhitespace { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let method = ["get", "post", "put", "patch", "delete"].first(where: { line == "    \($0):" }) {
                operation = "\(method.uppercased()) \(path)"
            } else if line.hasPrefix("      tags: ["),
                !ContractQueryParameters.handWrittenTags.isDisjoint(
                    with: line.dropFirst(13).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
                )
            {
                // A hand-written route (`/metrics` checks its admin key itself, and a metrics-only
                // listener serves it without one): the gate is for the generated API.
                operation = ""
            } else if line.hasPrefix("      security:"), !line.hasSuffix("[]"), !operation.isEmpty {
                // (`security: []`: open to anyone, as the links in messages are.)
                secured.insert(operation)
            }
        }
        return secured
    }

    @Test func everyOperationTheContractSecuresHasARule() throws {
        let secured = try Self.securedOperations()
        #expect(secured.count > 30)
        let ruled = Set(AccessRule.table.keys)
        #expect(secured.subtracting(ruled).isEmpty, "no rule: \(secured.subtracting(ruled).sorted())")
        // Only the tracking-token route is ruled without the contract's `security`.
        #expect(ruled.subtracting(secured) == ["POST /v1/reports/{id}/updates"])
    }

    /// The PATCH bodies' fields the null check knows are the contract's.
    @Test func nullCheckedFieldsAreTheContracts() throws {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("OpenAPI/openapi.yaml")
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        func properties(_ schema: String) -> Set<String> {
            guard let schemaStart = lines.firstIndex(of: "    \(schema):"),
                let start = lines[schemaStart...].firstIndex(of: "      properties:")
            else { return [] }
            var found: Set<String> = []
            for line in lines[(start + 1)...] {
                if line.hasPrefix("      "), !line.hasPrefix("       ") { break }  // the schema's next keyword
                if line.hasPrefix("        "), !line.hasPrefix("         "), line.hasSuffix(":") {
                    found.insert(String(line.dropFirst(8).dropLast()))
                }
            }
            return found
        }
        let fields = RequestBodyMiddleware.bodyFields
        #expect(fields["POST /v1/councils"] == properties("CouncilCreate"))
        #expect(fields["PATCH /v1/councils/{slug}"] == properties("CouncilUpdate"))
        #expect(fields["POST /v1/councils/{slug}/categories"] == properties("CategoryCreate"))
        #expect(fields["PATCH /v1/councils/{slug}/categories/{code}"] == properties("CategoryUpdate"))
        #expect(fields["POST /v1/councils/{slug}/destinations"] == properties("DestinationCreate"))
        #expect(fields["PATCH /v1/councils/{slug}/destinations/{name}"] == properties("DestinationUpdate"))
        #expect(fields["PUT /v1/councils/{slug}/notify-settings"] == properties("NotifySettingsPut"))
        #expect(fields["POST /v1/alerts"] == properties("AlertCreate"))
        #expect(fields["POST /v1/alerts/erase"] == properties("AlertSubscriberErase"))
        #expect(RequestBodyMiddleware.nestedFields["templates"] == properties("NotifyTemplates"))
        #expect(fields["POST /v1/councils/{slug}/staff"] == properties("StaffCreate"))
        #expect(fields.count == 10)
    }

    /// A concrete path for a template.
    static func concrete(_ template: String) -> String {
        template.replacingOccurrences(of: "{slug}", with: "barchester").replacingOccurrences(of: "{code}", with: "fly_tipping")
            .replacingOccurrences(of: "{name}", with: "cases").replacingOccurrences(of: "{queue}", with: "cases")
            .replacingOccurrences(of: "{prefix}", with: "ci_abcdef1234").replacingOccurrences(of: "{id}", with: UUID().uuidString.lowercased())
            .replacingOccurrences(of: "{message_id}", with: UUID().uuidString.lowercased())
    }

    @Test func aCallerWithoutTheRightKeyIsTurnedAwayWhateverTheBody() async throws {
        try await withApp { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let clientKey = try await bearer(testDB, role: .client)
            let adminKey = try await bearer(testDB, role: .admin)
            let otherCouncil = try await bearer(testDB, role: .backoffice, council: "plumstead")
            for (operation, rule) in AccessRule.table.sorted(by: { $0.key < $1.key }) {
                let parts = operation.split(separator: " ", maxSplits: 1)
                let method = HTTPRequest.Method(String(parts[0]))!
                let uri = Self.concrete(String(parts[1]))
                func status(_ headers: HTTPFields) async throws -> (Int, String) {
                    try await client.execute(
                        uri: uri,
                        method: method,
                        headers: headers.merging([.contentType: "application/json"]),
                        body: ByteBuffer(string: #"{"this": "is not what any operation expects", "#)
                    ) { (Int($0.status.code), ($0.json["code"] as? String) ?? "") }
                }
                switch rule {
                case .trackingToken:
                    #expect(try await status([:]) == (401, "tracking_token_required"), "\(operation)")
                case .roles(let roles):
                    #expect(try await status([:]) == (401, "unauthorized"), "\(operation) without a key")
                    #expect(try await status([.authorization: "Bearer ci_nothing_here"]) == (401, "unauthorized"), "\(operation) unknown key")
                    if !roles.contains(.client) {
                        #expect(try await status(clientKey) == (403, "forbidden"), "\(operation) with a client key")
                    } else if !roles.contains(.admin) {
                        #expect(try await status(adminKey) == (403, "forbidden"), "\(operation) with an admin key")
                    }
                case .councilStaff:
                    #expect(try await status([:]) == (401, "unauthorized"), "\(operation) without a key")
                    #expect(try await status(clientKey) == (403, "forbidden"), "\(operation) with a client key")
                    #expect(try await status(otherCouncil) == (404, "not_found"), "\(operation) with another council's key")
                }
            }
        }
    }
}
