import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeTestSupport
import NIOCore
import Testing

@testable import IntakeHTTP

/// The server refuses what the contract refuses, naming the field, as generated clients expect.
@Suite struct ContractRulesTests {
    static func problem(
        _ client: any TestClientProtocol,
        _ uri: String,
        _ headers: HTTPFields = [:]
    ) async throws
        -> (Int, [String: Any])
    {
        try await client.execute(uri: uri, method: .get, headers: headers) { (Int($0.status.code), $0.json) }
    }

    static func pointers(_ problem: [String: Any]) -> [String] {
        (problem["errors"] as? [[String: Any]] ?? []).compactMap { $0["pointer"] as? String }.sorted()
    }

    /// A typed query parameter the generated server cannot read, or a required one left out, is
    /// a 422 naming it (the runtime's own error names nothing).
    @Test(arguments: [
        ("/v1/services", ["/query/lat", "/query/lon"]),
        ("/v1/services?lat=52.1", ["/query/lon"]),
        ("/v1/services?lat=north&lon=-1.2", ["/query/lat"]),
        ("/v1/reports/nearby?lat=52&lon=-1", ["/query/category"]),
        ("/v1/reports?limit=ten", ["/query/limit"]),
        ("/v1/reports?limit=", ["/query/limit"]),
        ("/v1/reports?limit=1.5", ["/query/limit"]),
        ("/v1/reports?bbox=-1,fifty,0,53", ["/query/bbox"]),
        ("/v1/councils/barchester/categories?include_retired=maybe", ["/query/include_retired"]),
        ("/v1/audit?limit=lots", ["/query/limit"]),
        ("/v1/councils/barchester/payments?state=lost", ["/query/state"]),
        ("/v1/councils/barchester/payments/reconciliation", ["/query/date"]),
        ("/v1/councils/barchester/payments/reconciliation?date=2026-11-28&format=pdf", ["/query/format"]),
    ])
    func unreadableQueryParametersAreNamed(uri: String, expected: [String]) async throws {
        try await withApp { client, testDB in
            let admin = try await bearer(testDB, role: .admin)
            let (status, problem) = try await Self.problem(client, uri, admin)
            #expect(status == 422, "\(uri)")
            #expect(problem["code"] as? String == "validation_failed")
            #expect(Self.pointers(problem) == expected, "\(uri): \(problem)")
        }
    }

    /// Filter values that no stored row could have are refused rather than matching nothing,
    /// as the contract's patterns say; so is text PostgreSQL cannot hold.
    @Test(arguments: [
        ("/v1/reports?council=Barchester", "/query/council"),
        ("/v1/reports?category=fly%00tipping", "/query/category"),
        ("/v1/reports?status=open,,fixed", "/query/status"),
        ("/v1/reports?since=2023-02-29T00:00:00Z", "/query/since"),
        ("/v1/reports?until=2026-11-28T10:30:00%2B0100", "/query/until"),
        ("/v1/reports?cursor=abc%2Bdef", "/query/cursor"),
        ("/v1/reports/nearby?lat=52&lon=-1&category=Fly", "/query/category"),
        ("/v1/audit?actor=someone", "/query/actor"),
        ("/v1/audit?action=council%00update", "/query/action"),
        ("/v1/audit?council=a", "/query/council"),
        ("/v1/audit?cursor=%2B12", "/query/cursor"),
        ("/v1/audit?cursor=1234567890123456789", "/query/cursor"),
        ("/v1/audit?from=2026-02-30", "/query/from"),
        ("/v1/councils/barchester/payments?account_reference=12%0034", "/query/account_reference"),
        ("/v1/councils/barchester/payments?cursor=not-an-id", "/query/cursor"),
    ])
    func filtersOutsideTheirPatternAreRefused(uri: String, pointer: String) async throws {
        try await withApp { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let admin = try await bearer(testDB, role: .admin)
            let (status, problem) = try await Self.problem(client, uri, admin)
            #expect(status == 422, "\(uri): \(problem)")
            #expect(Self.pointers(problem) == [pointer], "\(uri): \(problem)")
        }
    }

    @Test func filtersWithinTheirPatternsAreAccepted() async throws {
        try await withApp { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let admin = try await bearer(testDB, role: .admin)
            for uri in [
                "/v1/reports?council=barchester&category=fly_tipping&status=%20open%20,fixed&bbox=-3,50,0,53.5&limit=200",
                "/v1/reports?since=2024-02-29T23:59:59.123456%2B05:30&until=&council=&cursor=",
                "/v1/audit?actor=cli&action=council.update&council=barchester&from=2024-02-29&to=2026-11-28T10:00:00Z&cursor=",
                "/v1/councils/barchester/payments?account_reference=12-34%20AB&cursor=&from=&to=",
            ] {
                let (status, problem) = try await Self.problem(client, uri, admin)
                #expect(status == 200, "\(uri): \(problem)")
            }
        }
    }

    /// Every operation whose typed or required query parameters the generated server reads
    /// itself is in `QueryParameterProblems.table`, with the contract's kinds.
    @Test func theTableOfTypedQueryParametersIsTheContracts() throws {
        let contract = try ContractQueryParameters.read()
        var expected: [String: [String]] = [:]
        for (operation, parameters) in contract {
            let typed = parameters.filter { $0.type != "string" || $0.required }
            if !typed.isEmpty { expected[operation] = typed.map { "\($0.name):\($0.type):\($0.required)" } }
        }
        var table: [String: [String]] = [:]
        for (operation, parameters) in QueryParameterProblems.table {
            table[operation] = parameters.map { parameter in
                let type =
                    switch parameter.kind {
                    case .integer: "integer"
                    case .number: "number"
                    case .boolean: "boolean"
                    case .numbers: "array"
                    case .oneOf: "enum"
                    case .text: "string"
                    }
                return "\(parameter.name):\(type):\(parameter.required)"
            }
        }
        #expect(contract.count >= 10)
        #expect(table == expected)
        // The enums' values are the contract's too.
        #expect(QueryParameterProblems.table["searchPayments"]?.first?.kind == .oneOf(try ContractQueryParameters.enumValues("PaymentState")))
    }

    @Test func nullsInsideNestedObjectsAreRefusedNamingThem() async throws {
        try await withApp { client, testDB in
            try await testDB.withDatabase(poolSize: 1) { try await DispatchFixtures.seed($0) }
            let admin = try await bearer(testDB, role: .admin)
            let body = #"""
                {"code": "potholes", "name": "Potholes", "attributes": [
                  {"code": "depth", "datatype": "string", "values": null},
                  {"code": "size", "datatype": "singlevaluelist", "values": [{"key": "big", "name": null}]}]}
                """#
            try await client.execute(
                uri: "/v1/councils/barchester/categories",
                method: .post,
                headers: admin.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: body)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.pointers(response.json) == ["/attributes/0/values", "/attributes/1/values/0/name"])
            }
            let council = #"{"slug": "nulltown", "name": "Nulltown", "tier": "district", "contact": {"email": null}}"#
            try await client.execute(
                uri: "/v1/councils",
                method: .post,
                headers: admin.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: council)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.pointers(response.json) == ["/contact/email"])
            }
        }
    }

    @Test func textHoldingNULIsRefusedNamingTheField() async throws {
        try await withApp { client, testDB in
            let admin = try await bearer(testDB, role: .admin)
            let council = #"{"slug": "nultown", "name": "Nul\u0000town", "tier": "district", "contact": {"phone": "01234\u0000"}}"#
            try await client.execute(
                uri: "/v1/councils",
                method: .post,
                headers: admin.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: council)
            ) { response in
                #expect(response.status == .unprocessableContent)
                #expect(Self.pointers(response.json) == ["/contact/phone", "/name"])
                #expect((response.json["errors"] as? [[String: Any]])?.first?["code"] as? String == "invalid_character")
            }
            // An escaped backslash before "u0000" is not NUL: the council is created.
            let plain = #"{"slug": "backslash", "name": "Back\\u0000slash", "tier": "district"}"#
            try await client.execute(
                uri: "/v1/councils",
                method: .post,
                headers: admin.merging([.contentType: "application/json"]),
                body: ByteBuffer(string: plain)
            ) { response in
                #expect(response.status == .created, "\(response.text)")
            }
        }
    }

    /// A destination URL is a host, port, path and query; user info, fragments and malformed
    /// escapes are refused as the contract's pattern refuses them.
    @Test func destinationURLsFollowTheContractsPattern() async throws {
        try await withApp { client, testDB in
            _ = try await PullQueueTests.seeded(testDB, reports: 0)
            let key = try await bearer(testDB, role: .backoffice, council: "barchester")
            for (index, url) in [
                "https://user@crm.example/hooks", "https://crm.example/hooks#part", "https://crm.example/a%zz",
                "https://crm.example:70000/", "ftp://crm.example/", "https://crm.example/a b",
            ].enumerated() {
                let (status, problem) = try await PullQueueTests.post(
                    client,
                    DestinationAdminTests.base,
                    key,
                    #"{"name": "bad\#(index)", "kind": "webhook", "url": "\#(url)"}"#
                )
                #expect(status == .unprocessableContent, "\(url)")
                #expect(Self.pointers(problem) == ["/url"], "\(url): \(problem)")
            }
            let (status, problem) = try await PullQueueTests.post(
                client,
                DestinationAdminTests.base,
                key,
                #"{"name": "good", "kind": "webhook", "url": "https://crm.example:8443/hooks/in?token=a%2Fb&x=1"}"#
            )
            #expect(status == .created, "\(problem)")
        }
    }
}

/// The query parameters of OpenAPI/openapi.yaml, read line by line (the document's own layout).
enum ContractQueryParameters {
    struct Parameter {
        var name = ""
        var type = "string"
        var required = false
        var isQuery = false
    }

    static func lines() throws -> [String] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("OpenAPI/openapi.yaml")
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }

    /// The values of an enum schema in components.
    static func enumValues(_ schema: String) throws -> [String] {
        let lines = try lines()
        let start = try #require(lines.firstIndex(of: "    \(schema):"))
        let line = try #require(lines[(start + 1)...].first { $0.hasPrefix("      enum: [") })
        return line.dropFirst("      enum: [".count).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// The tags of the routes the generated server does not serve (openapi-generator-config.yaml).
    static let handWrittenTags: Set<String> = ["open311", "payment-provider", "sandbox", "metrics", "notify-callbacks"]

    /// operationId → its query parameters, with `type` one of string, integer, number, boolean,
    /// array or enum; generated operations only.
    static func read() throws -> [String: [Parameter]] {
        let lines = try lines()
        // Named parameters (components.parameters) and named string enums (components.schemas).
        func block(at start: Int, indent: Int) -> ArraySlice<String> {
            let prefix = String(repeating: " ", count: indent)
            let end = lines[(start + 1)...].firstIndex { !$0.isEmpty && !$0.hasPrefix(prefix + " ") } ?? lines.endIndex
            return lines[(start + 1)..<end]
        }
        func describe(_ body: ArraySlice<String>) -> Parameter {
            var parameter = Parameter()
            for line in body {
                var text = line.trimmingCharacters(in: .whitespaces)
                if text.hasPrefix("- ") { text.removeFirst(2) }
                if text.hasPrefix("name: ") { parameter.name = String(text.dropFirst(6)) }
                if text == "in: query" { parameter.isQuery = true }
                if text == "required: true" { parameter.required = true }
                if text.hasPrefix("type: ") && parameter.type == "string" { parameter.type = String(text.dropFirst(6)) }
                if text.hasPrefix("enum: ") { parameter.type = "enum" }
                if text.hasPrefix("$ref: '#/components/schemas/"), let name = text.split(separator: "/").last?.dropLast(),
                    let start = lines.firstIndex(of: "    \(name):")
                {
                    if block(at: start, indent: 4).contains(where: { $0.hasPrefix("      enum:") }) { parameter.type = "enum" }
                }
            }
            return parameter
        }
        var named: [String: Parameter] = [:]
        if let start = lines.firstIndex(of: "  parameters:") {
            for (index, line) in block(at: start, indent: 2).enumerated() where line.hasPrefix("    ") && !line.hasPrefix("     ") {
                named[String(line.dropFirst(4).dropLast())] = describe(block(at: start + 1 + index, indent: 4))
            }
        }
        var operations: [String: [Parameter]] = [:]
        var operation = ""
        for (index, line) in lines.enumerated() {
            if line.hasPrefix("      operationId: ") { operation = String(line.dropFirst(19)) }
            if line.hasPrefix("      tags: ["),
                !handWrittenTags.isDisjoint(with: line.dropFirst(13).dropLast().split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) })
            {
                operation = ""
            }
            guard !operation.isEmpty, line.hasPrefix("        - ") else { continue }
            let parameter: Parameter
            if line.hasPrefix("        - $ref: '#/components/parameters/") {
                guard let found = named[String(line.split(separator: "/").last!.dropLast())] else { continue }
                parameter = found
            } else if line.hasPrefix("        - name: ") {
                var body = block(at: index, indent: 8)
                body.insert(line, at: body.startIndex)
                parameter = describe(body)
            } else {
                continue
            }
            if parameter.isQuery { operations[operation, default: []].append(parameter) }
        }
        return operations
    }
}
