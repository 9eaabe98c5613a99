import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Reports arriving at once: references come from a sequence per council and prefix, so no
/// report waits on another's commit, and none may share a number or lose its dispatch job.
@Suite struct ConcurrentIntakeTests {
    @Test func fiftyReportsAtOnceForOneCouncilGetFiftyReferencesAndFiftyJobs() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let headers = try await bearer(testDB, role: .client)
            // (status, reference) of each answer.
            let answers = try await withThrowingTaskGroup(of: (HTTPResponse.Status, String?).self) { group in
                for index in 0..<50 {
                    group.addTask {
                        let (status, json) = try await ReportIntakeTests.post(
                            client,
                            headers,
                            """
                            {"category": "fly_tipping", "location": {"lat": 51.5, "lon": -2.5},
                             "description": "Bags by the gate, number \(index)", "attributes": {"waste_type": "household"}}
                            """
                        )
                        return (status, json["reference"] as? String)
                    }
                }
                var answers: [(HTTPResponse.Status, String?)] = []
                for try await answer in group { answers.append(answer) }
                return answers
            }
            #expect(answers.allSatisfy { $0.0 == .created })
            let references = answers.compactMap(\.1)
            #expect(Set(references).count == 50)
            #expect(references.allSatisfy { $0.hasPrefix("FT-") && $0.count == 9 })
            let numbers = references.compactMap { Int($0.dropFirst(3)) }.sorted()
            #expect(numbers == Array(1...50), "one council's numbers are handed out once each, from 1")

            let stored = try await testDB.withDatabase(poolSize: 1) { database in
                try await DispatchFixtures.scalar(
                    database,
                    """
                    SELECT count(DISTINCT r.id)::int * 1000 + count(j.id)::int FROM reports r
                    JOIN dispatch_jobs j ON j.report_id = r.id AND j.event_type = 'case.created'
                    WHERE r.reference = ANY('{\(references.joined(separator: ","))}'::text[])
                    """,
                    as: Int.self
                )
            }
            #expect(stored == 50 * 1000 + 50, "every acknowledged report is stored with its job")
        }
    }

    @Test func anotherCouncilAndAnotherPrefixCountFromOne() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let headers = try await bearer(testDB, role: .client)
            func reference(_ body: String) async throws -> String? {
                let (status, json) = try await ReportIntakeTests.post(client, headers, body)
                #expect(status == .created, "\(json)")
                return json["reference"] as? String
            }
            let west =
                #"{"category": "fly_tipping", "location": {"lat": 51.5, "lon": -2.5}, "description": "West", "attributes": {"waste_type": "tyres"}}"#
            let east =
                #"{"category": "fly_tipping", "location": {"lat": 51.5, "lon": -1.0}, "description": "East", "attributes": {"waste_type": "tyres"}}"#
            let pothole = #"{"category": "pothole", "location": {"lat": 51.5, "lon": -1.0}, "description": "Deep"}"#
            #expect(try await reference(west) == "FT-000001")
            #expect(try await reference(west) == "FT-000002")
            #expect(try await reference(east) == "FT-000001")
            #expect(try await reference(pothole) == "PO-000001")
        }
    }

    /// A deployment runs migrations as the schema's owner and the service as an ordinary role.
    /// The first report of a council and prefix creates that pair's sequence, which only the
    /// owner may do: the numbering function runs as its owner (migration 0014).
    @Test func anOrdinaryServiceRoleNumbersTheFirstReportsOfACouncil() async throws {
        try await withApp(asServiceRole: true) { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let headers = try await bearer(testDB, role: .client)
            let body =
                #"{"category": "fly_tipping", "location": {"lat": 51.5, "lon": -2.5}, "description": "West", "attributes": {"waste_type": "tyres"}}"#
            for expected in ["FT-000001", "FT-000002"] {
                let (status, json) = try await ReportIntakeTests.post(client, headers, body)
                #expect(status == .created, "\(json)")
                #expect(json["reference"] as? String == expected)
            }
        }
    }
}
