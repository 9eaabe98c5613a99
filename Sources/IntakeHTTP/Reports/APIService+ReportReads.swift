import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

extension APIService {
    func listReports(_ input: Operations.ListReports.Input) async throws -> Operations.ListReports.Output {
        let q = input.query
        let query = try ReportQuery.parse(
            council: q.council,
            category: q.category,
            status: q.status,
            bbox: q.bbox,
            since: q.since,
            until: q.until,
            limit: q.limit,
            cursor: q.cursor
        )
        let page = try await reports.list(query)
        let views = try page.reports.map { try Components.Schemas.Report($0, audience: .publicView) }
        let next = page.next?.token
        if input.headers.accept.sortedByQuality().first?.contentType == .applicationGeoJson {
            let features = zip(page.reports, views).map { report, view in
                Components.Schemas.ReportFeature(
                    _type: .feature,
                    id: view.id,
                    geometry: .init(_type: .point, coordinates: [report.location.lon, report.location.lat]),
                    properties: view
                )
            }
            return .ok(.init(body: .applicationGeoJson(.init(_type: .featureCollection, features: features, nextCursor: next))))
        }
        return .ok(.init(body: .json(.init(reports: views, nextCursor: next))))
    }

    func listNearbyReports(
        _ input: Operations.ListNearbyReports.Input
    ) async throws
        -> Operations.ListNearbyReports.Output
    {
        let point = try LatLon.checked(lat: input.query.lat, lon: input.query.lon)
        let category = input.query.category
        guard CategoryDefinition.isValidCode(category) else {
            throw APIError.validation([
                category.isEmpty
                    ? FieldError(pointer: "/query/category", detail: "is required", code: "required")
                    : FieldError(pointer: "/query/category", detail: "is not a category code", code: "invalid_code")
            ])
        }
        let found = try await reports.nearby(
            point,
            categoryCode: category,
            radiusMetres: config.nearbyRadiusMetres,
            days: config.nearbyDays
        )
        return .ok(
            .init(
                body: .json(
                    .init(
                        reports: try found.map { .init(report: try .init($0.0, audience: .publicView), distanceM: $0.1) },
                        radiusM: config.nearbyRadiusMetres,
                        days: config.nearbyDays
                    )
                )
            )
        )
    }

    func addReportUpdate(_ input: Operations.AddReportUpdate.Input) async throws -> Operations.AddReportUpdate.Output {
        guard let token = input.headers.xTrackingToken, !token.isEmpty else {
            throw APIError(
                status: 401,
                code: "tracking_token_required",
                title: "Unauthorized",
                detail: "Send the report's tracking token in X-Tracking-Token."
            )
        }
        let (report, audience) = try await findReport(id: input.path.id, trackingToken: token)
        guard audience == .reporter else {
            throw APIError(
                status: 403,
                code: "invalid_tracking_token",
                title: "Forbidden",
                detail: "The tracking token does not belong to this report."
            )
        }
        guard case .json(let body) = input.body else { throw APIError.unsupportedMediaType("Send application/json.") }
        var errors: [FieldError] = []
        if let comment = body.comment {
            if comment.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || comment.unicodeScalars.count > ReportRules.maxDescription {
                errors.append(
                    FieldError(pointer: "/comment", detail: "must be 1–\(ReportRules.maxDescription) characters", code: "invalid_length")
                )
            } else if ReportRules.hasControlCharacters(comment) {
                errors.append(FieldError(pointer: "/comment", detail: "must not contain control characters", code: "control_characters"))
            }
        }
        let photos = body.photos ?? []
        var photoIDs: [UUID] = []
        for (index, text) in photos.enumerated() {
            if let id = UUID(uuidString: text) {
                photoIDs.append(id)
            } else {
                errors.append(FieldError(pointer: "/photos/\(index)", detail: "is not a photo id", code: "unknown_photo"))
            }
        }
        if photos.count > ReportRules.maxPhotos {
            errors.append(FieldError(pointer: "/photos", detail: "must have at most \(ReportRules.maxPhotos) photos", code: "too_many_photos"))
        } else if report.photoIDs.count + photos.count > ReportRules.maxPhotos * 2 {
            errors.append(
                FieldError(pointer: "/photos", detail: "a report holds at most \(ReportRules.maxPhotos * 2) photos", code: "too_many_photos")
            )
        }
        if body.comment == nil && photos.isEmpty {
            errors.append(FieldError(pointer: "/comment", detail: "send a comment, photos, or both", code: "required"))
        }
        if !errors.isEmpty { throw APIError.validation(errors) }
        let events = try await reports.addUpdate(reportID: report.id, comment: body.comment, photoIDs: photoIDs)
        return .created(.init(body: .json(.init(events: events.map { .init($0, audience: .reporter) }))))
    }

    func eraseReporter(_ input: Operations.EraseReporter.Input) async throws -> Operations.EraseReporter.Output {
        _ = try await auth.require([.admin])
        guard let id = UUID(uuidString: input.path.id), try await reports.eraseContact(reportID: id) else {
            throw APIError.notFound("No report has the id '\(input.path.id)'.")
        }
        return .noContent(.init())
    }
}
