import Foundation
import IntakeCore
import IntakeStorage

/// Report intake, whichever door the report came in by (`POST /v1/reports`, Open311's POST):
/// routing, the category's rules, Open311's foreign attributes, then one write.
public struct IntakeService: Sendable {
    let reports: ReportStore
    let catalogue: RoutingCatalogue

    public init(reports: ReportStore, catalogue: RoutingCatalogue) {
        self.reports = reports
        self.catalogue = catalogue
    }

    /// What intake hands back: the report and the reporter's secret, shown once.
    public struct Created: Sendable {
        public var report: Report
        public var trackingToken: TrackingToken
    }

    /// The answer to store for an Idempotency-Key, made from the created report inside the
    /// transaction that stores it.
    public struct Answer: Sendable {
        public var scope: IdempotencyStore.Scope
        public var status: Int
        public var body: @Sendable (Created) throws -> Data

        public init(scope: IdempotencyStore.Scope, status: Int, body: @escaping @Sendable (Created) throws -> Data) {
            self.scope = scope
            self.status = status
            self.body = body
        }
    }

    /// Routes, checks and stores a report. `jurisdiction` (Open311) must be the council the
    /// report routes to. Throws `IntakeError` for anything the caller can fix.
    public func submit(
        _ input: NewReport,
        clientKeyID: UUID?,
        jurisdiction: CouncilRef? = nil,
        answer: Answer? = nil
    ) async throws -> Created {
        let point: LatLon
        switch input.position {
        case .wgs84(let wgs84): point = wgs84
        case .britishNationalGrid(let easting, let northing): point = try await reports.wgs84(easting: easting, northing: northing)
        }
        let here = try await catalogue.services(at: point)
        guard !here.councils.isEmpty else { throw IntakeError.outsideServiceArea(point) }
        guard let category = here.services.first(where: { $0.code == input.categoryCode }) else {
            throw IntakeError.categoryNotAvailableHere(input.categoryCode, available: here.services.map(\.code))
        }
        if let jurisdiction, category.council.id != jurisdiction.id {
            throw IntakeError.wrongJurisdiction(
                service: category.definition.name,
                routedTo: category.council.slug,
                asked: jurisdiction.slug
            )
        }

        var input = input
        var sourceAttributes: [String: String] = [:]
        if input.source == .open311 {
            // Open311 clients send attributes of their own and cannot say "anonymous".
            (input.attributes, sourceAttributes) = ReportRules.adoptForeignAnswers(
                input.attributes,
                questions: category.definition.attributes
            )
            input.anonymous = category.definition.anonymousAllowed
        }
        let problems = ReportRules.check(input, against: category.definition)
        if !problems.isEmpty { throw IntakeError.invalid(problems) }

        let token = TrackingToken.generate()
        let recording = answer.map { answer in
            IdempotencyStore.Recording(scope: answer.scope, status: answer.status) { report in
                try answer.body(Created(report: report, trackingToken: token))
            }
        }
        do {
            let report = try await reports.insert(
                .init(
                    report: input,
                    category: category,
                    point: point,
                    sourceAttributes: sourceAttributes,
                    clientKeyID: clientKeyID,
                    trackingToken: token
                ),
                recording: recording
            )
            return Created(report: report, trackingToken: token)
        } catch let error as MediaStore.NotAttachable {
            throw IntakeError.invalid(error.fieldErrors(pointer: "/photos"))
        } catch is ReportStore.CategoryGone {
            // Retired after this process routed it (its cache not yet told): as if routed anew.
            catalogue.forget()
            throw IntakeError.categoryNotAvailableHere(
                input.categoryCode,
                available: here.services.map(\.code).filter { $0 != input.categoryCode }
            )
        }
    }
}

extension MediaStore.NotAttachable {
    /// One field error per photo that could not be attached, at `pointer/index`.
    public func fieldErrors(pointer: String) -> [FieldError] {
        positions.map {
            FieldError(pointer: "\(pointer)/\($0)", detail: "is not a photo you uploaded and have not attached yet", code: "unknown_photo")
        }
    }
}
