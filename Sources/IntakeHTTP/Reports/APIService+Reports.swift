import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

extension APIService {
    func createReport(_ input: Operations.CreateReport.Input) async throws -> Operations.CreateReport.Output {
        let principal = try await auth.require([.client])
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        let report = try ReportInput.newReport(from: body)
        let shapeProblems = ReportRules.checkShape(report)
        if !shapeProblems.isEmpty { throw APIError.validation(shapeProblems) }

        let scope = try (RequestScope.current?.idempotencyKey ?? input.headers.idempotencyKey).map { key in
            IdempotencyStore.Scope(
                clientKeyID: principal.keyID,
                operation: "POST /v1/reports",
                key: try Self.idempotencyKey(key),
                requestHash: Secrets.sha256(try ReportInput.canonicalJSON(body))
            )
        }
        let answer = scope.map { scope in
            IntakeService.Answer(scope: scope, status: 201) { try ReportInput.encoder.encode(try Components.Schemas.ReportCreated($0)) }
        }
        return try await idempotent.run(scope) { _, stored in
            .created(.init(body: .json(try ReportInput.decoder.decode(Components.Schemas.ReportCreated.self, from: stored))))
        } _: {
            let created = try await intake.submit(report, clientKeyID: principal.keyID, answer: answer)
            return .created(.init(body: .json(try .init(created))))
        }
    }

    func getReport(_ input: Operations.GetReport.Input) async throws -> Operations.GetReport.Output {
        let (report, audience) = try await findReport(id: input.path.id, trackingToken: input.headers.xTrackingToken)
        return .ok(.init(body: .json(try .init(report, audience: audience))))
    }

    func getReportTimeline(
        _ input: Operations.GetReportTimeline.Input
    ) async throws
        -> Operations.GetReportTimeline.Output
    {
        let (report, audience) = try await findReport(id: input.path.id, trackingToken: input.headers.xTrackingToken)
        let events = try await reports.timeline(reportID: report.id)
        return .ok(
            .init(
                body: .json(
                    .init(
                        reportId: report.id.uuidString.lowercased(),
                        events: events.map { Components.Schemas.TimelineEvent($0, audience: audience) }
                    )
                )
            )
        )
    }

    /// The report and the view its caller is entitled to: the council's back-office keys (and
    /// admins) see everything, the tracking token's holder their own details, anyone else the
    /// public record.
    func findReport(id: String, trackingToken: String?) async throws -> (Report, ReportAudience) {
        guard let uuid = UUID(uuidString: id), let (report, tokenHash) = try await reports.find(id: uuid) else {
            throw APIError.notFound("No report has the id '\(id)'.")
        }
        if let principal = try await auth.optional(),
            principal.role == .admin || (principal.role == .backoffice && principal.councilID == report.council.id)
        {
            return (report, .council)
        }
        if let trackingToken {
            guard Secrets.constantTimeEquals(TrackingToken(text: trackingToken).hash, tokenHash) else {
                throw APIError(
                    status: 403,
                    code: "invalid_tracking_token",
                    title: "Forbidden",
                    detail: "The tracking token does not belong to this report."
                )
            }
            return (report, .reporter)
        }
        return (report, .publicView)
    }
}

/// Turning the wire request into a `NewReport`, and the fixed encodings idempotency relies on.
enum ReportInput {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return encoder
    }()
    static let decoder: JSONDecoder = {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        return decoder
    }()

    static func newReport(from body: Components.Schemas.ReportCreate) throws -> NewReport {
        let location = body.location
        let position = try ReportRules.position(
            lat: location.lat,
            lon: location.lon,
            easting: location.easting,
            northing: location.northing
        )
        var errors: [FieldError] = []
        var attributes: [String: AttributeAnswer] = [:]
        if let container = body.attributes {
            for (code, value) in container.additionalProperties.value.sorted(by: { $0.key < $1.key }) {
                if let value = AttributeAnswer(jsonValue: value) {
                    attributes[code] = value
                } else {
                    errors.append(
                        FieldError(
                            pointer: "/attributes/\(JSONPointer.escape(code))",
                            detail: "must be a string, a number or a list of strings",
                            code: "wrong_type"
                        )
                    )
                }
            }
        }
        var photoIDs: [UUID] = []
        for (index, text) in (body.photos ?? []).enumerated() {
            if let id = UUID(uuidString: text) {
                photoIDs.append(id)
            } else {
                errors.append(FieldError(pointer: "/photos/\(index)", detail: "is not a photo id", code: "unknown_photo"))
            }
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let reporter = body.reporter.map { ReporterContact(name: $0.name, email: $0.email, phone: $0.phone) }
        var report = NewReport(
            categoryCode: body.category,
            position: position,
            description: body.description,
            address: body.address.flatMap { $0.isEmpty ? nil : $0 },
            attributes: attributes,
            reporter: reporter?.isEmpty == true ? nil : reporter,
            anonymous: body.anonymous ?? false,
            photoIDs: photoIDs
        )
        report.notify = body.notify ?? true
        return report
    }

    /// The request body in one canonical form (sorted keys), so the same request hashes the same.
    static func canonicalJSON(_ body: Components.Schemas.ReportCreate) throws -> String {
        String(decoding: try encoder.encode(body), as: UTF8.self)
    }

}

// Mapping between the generated wire types and the domain.

extension Components.Schemas.Report {
    init(_ report: Report, audience: ReportAudience) throws {
        let fullView = audience != .publicView
        self.init(
            id: report.id.uuidString.lowercased(),
            reference: report.reference,
            council: .init(report.council),
            category: .init(code: report.category.code, name: report.category.name),
            status: .init(rawValue: report.status.rawValue)!,
            open: report.status.isOpen,
            location: .init(lat: report.location.lat, lon: report.location.lon),
            address: report.address,
            description: report.description,
            attributes: .init(additionalProperties: try OpenAPIObjectContainer(answers: report.attributes)),
            photos: report.photoIDs.map { $0.uuidString.lowercased() },
            reporterName: fullView ? report.reporter?.name : report.publicReporterName,
            reporter: fullView ? report.reporter.map { .init(name: $0.name, email: $0.email, phone: $0.phone) } : nil,
            externalReference: audience == .council ? report.externalReference : nil,
            expectedAt: report.expectedAt,
            createdAt: report.createdAt,
            updatedAt: report.updatedAt,
            closedAt: report.closedAt
        )
    }
}

extension AttributeAnswer {
    /// A decoded JSON value as an answer: text, a number, or a list of texts (nil for anything
    /// else: true/false, null, objects, lists holding other things).
    init?(jsonValue: (any Sendable)?) {
        switch jsonValue {
        case let text as String: self = .text(text)
        case is Bool: return nil
        case let number as Int: self = .number(Double(number))
        case let number as Double: self = .number(number)
        case let list as [(any Sendable)?]:
            var texts: [String] = []
            for item in list {
                guard let text = item as? String else { return nil }
                texts.append(text)
            }
            self = .list(texts)
        default: return nil
        }
    }
}

extension OpenAPIObjectContainer {
    /// Attribute answers as a free-form JSON object (text, number or list of keys per code).
    init(answers: [String: AttributeAnswer]) throws {
        var values: [String: (any Sendable)?] = [:]
        for (code, answer) in answers {
            switch answer {
            case .text(let text): values[code] = text
            case .number(let number): values[code] = number
            case .list(let list): values[code] = list.map { $0 as (any Sendable)? }
            }
        }
        try self.init(unvalidatedValue: values)
    }
}

extension Components.Schemas.ReportCreated {
    init(_ created: IntakeService.Created) throws {
        self.init(
            value1: try .init(created.report, audience: .reporter),
            value2: .init(trackingToken: created.trackingToken.text)
        )
    }
}

extension Components.Schemas.TimelineEvent {
    init(_ event: TimelineEvent, audience: ReportAudience) {
        self.init(
            photo: event.photoID?.uuidString.lowercased(),
            id: event.id,
            kind: .init(rawValue: event.kind.rawValue)!,
            status: event.status.map { .init(rawValue: $0.rawValue)! },
            publicNote: event.publicNote,
            internalNote: audience == .council ? event.internalNote : nil,
            actor: .init(rawValue: event.actor.rawValue),
            createdAt: event.createdAt
        )
    }
}
