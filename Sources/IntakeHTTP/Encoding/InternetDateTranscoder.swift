import Foundation
import IntakeCore
import OpenAPIRuntime

/// Dates on the wire as the OpenAPI runtime's default writes them (RFC 3339 internet date-time,
/// UTC, whole seconds), without its lock-guarded `ISO8601DateFormatter`: listings write several
/// dates per report. Reading is left to the runtime's transcoder (it accepts offsets; requests
/// are not hot).
struct InternetDateTranscoder: DateTranscoder {
    private let reader = ISO8601DateTranscoder()

    func encode(_ date: Date) throws -> String { InternetDate.format(date) }

    func decode(_ text: String) throws -> Date { try reader.decode(text) }
}
