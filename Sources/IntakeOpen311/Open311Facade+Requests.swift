import Foundation
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage

/// Service requests: the public list and one request (no contact details ever), tokens, and
/// POST, which is report intake in Open311's words.
extension Open311Facade {
    static let maxRequests = 1000
    static let maxWindow: TimeInterval = 90 * 86_400

    func requests(_ format: Open311Format, _ query: Open311Form) async throws -> Open311Reply {
        let council = try await jurisdiction(query)
        var filter = Open311Store.RequestFilter(
            councilID: council?.id,
            ids: nil,
            serviceCodes: nil,
            since: nil,
            until: nil,
            open: nil,
            limit: Self.maxRequests
        )
        // Every filter is read (and refused if malformed) even when a list of ids overrides them.
        let serviceCodes = query.value("service_code").map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        let start = try query.value("start_date").map { try Self.date($0, field: "start_date") }
        let end = try query.value("end_date").map { try Self.date($0, field: "end_date") }
        let open: Bool?
        switch query.value("status")?.lowercased() {
        case nil: open = nil
        case "open": open = true
        case "closed": open = false
        case let other?: throw Open311Failure.badRequest("status must be open or closed, not '\(other)'.")
        }
        if let ids = query.value("service_request_id") {
            // A list of ids overrides every other filter.
            filter.ids = ids.split(separator: ",").compactMap { UUID(uuidString: $0.trimmingCharacters(in: .whitespaces)) }
        } else {
            filter.serviceCodes = serviceCodes
            if let start, let end, end < start { throw Open311Failure.badRequest("end_date is before start_date.") }
            // Default: the last 90 days; a window is at most 90 days.
            filter.until = end ?? start.map { $0.addingTimeInterval(Self.maxWindow) }
            filter.since = start ?? (end ?? Date()).addingTimeInterval(-Self.maxWindow)
            if let since = filter.since, let until = filter.until, until.timeIntervalSince(since) > Self.maxWindow {
                throw Open311Failure.badRequest("start_date and end_date may be at most 90 days apart.")
            }
            filter.open = open
        }
        let found = try await store.requests(filter)
        return Open311Reply(root: "service_requests", node: .list(item: "request", found.map { requestNode($0.0, note: $0.statusNote) }))
    }

    func oneRequest(_ id: String, _ query: Open311Form) async throws -> Open311Reply {
        do {
            let council = try await jurisdiction(query)
            guard let uuid = UUID(uuidString: id),
                let found = try await store.requests(
                    .init(councilID: council?.id, ids: [uuid], serviceCodes: nil, since: nil, until: nil, open: nil, limit: 1)
                ).first
            else { throw Open311Failure.notFound("No service request has the id '\(id)'.") }
            // A one-element list in JSON too: clients read `response[0]`.
            return Open311Reply(root: "service_requests", node: .list(item: "request", [requestNode(found.0, note: found.statusNote)]))
        }
    }

    /// Requests are created at once, so a request's token is its id.
    func token(_ token: String) async throws -> Open311Reply {
        do {
            guard let uuid = UUID(uuidString: token), try await reports.find(id: uuid) != nil else {
                throw Open311Failure.notFound("No service request has the token '\(token)'.")
            }
            let id = uuid.uuidString.lowercased()
            return Open311Reply(
                root: "service_requests",
                node: .list(item: "request", [.record([("service_request_id", .text(id)), ("token", .text(id))])])
            )
        }
    }

    func requestNode(_ report: Report, note: String?) -> Open311Node {
        let media = report.photoIDs.first.map { "\(baseURL)/v1/media/\($0.uuidString.lowercased())" } ?? report.mediaURLs.first
        return .record([
            ("service_request_id", .text(report.id.uuidString.lowercased())),
            ("status", .text(report.status.isOpen ? "open" : "closed")),
            ("status_notes", .text(note)),
            ("service_name", .text(report.category.name)),
            ("service_code", .text(report.category.code)),
            ("description", .text(report.description)),
            ("agency_responsible", .text(report.council.name)),
            ("service_notice", .text(nil)),
            ("requested_datetime", .date(report.createdAt)),
            ("updated_datetime", .date(report.updatedAt)),
            ("expected_datetime", .date(report.expectedAt)),
            ("address", .text(report.address)),
            ("address_id", .text(nil)),
            ("zipcode", .text(nil)),
            ("lat", .number(report.location.lat)),
            ("long", .number(report.location.lon)),
            ("media_url", .text(media)),
        ])
    }

    static func date(_ text: String, field: String) throws -> Date {
        guard let date = Open311Dates.parse(text) else {
            throw Open311Failure.badRequest("\(field) must be a W3C datetime with a timezone, e.g. 2026-11-28T09:30:00Z.")
        }
        return date
    }

    // MARK: POST requests

    func createRequest(_ format: Open311Format, _ form: Open311Form, idempotencyKey: String?) async throws -> Open311Reply {
        let principal = try await requireClient(form)
        let council = try await jurisdiction(form)
        let report = try await newReport(form, principal: principal)

        // FixMyStreet retries a send whose answer it missed: its own report id (or an
        // Idempotency-Key) makes the retry return the first request instead of a duplicate.
        let key = idempotencyKey ?? form.value("attribute[fixmystreet_id]").map { "fixmystreet_id:\($0)" }
        let scope = key.map {
            IdempotencyStore.Scope(
                clientKeyID: principal.keyID,
                operation: "POST /open311/v2/requests",
                key: String($0.prefix(255)),
                requestHash: Secrets.sha256(Self.fingerprint(form))
            )
        }
        let answer = scope.map { scope in
            IntakeService.Answer(scope: scope, status: 201) { Data($0.report.id.uuidString.lowercased().utf8) }
        }
        return try await idempotent.run(scope) { _, stored in
            created(String(decoding: stored, as: UTF8.self))
        } _: {
            // The jurisdiction, when named, must be the council the point and service route to.
            let created = try await intake.submit(
                report,
                clientKeyID: principal.keyID,
                jurisdiction: council.map(\.ref),
                answer: answer
            )
            return self.created(created.report.id.uuidString.lowercased())
        }
    }

    func created(_ id: String) -> Open311Reply {
        Open311Reply(
            root: "service_requests",
            status: 201,
            node: .list(item: "request", [.record([("service_request_id", .text(id)), ("service_notice", .text(nil)), ("account_id", .text(nil))])])
        )
    }

    /// The form as a `NewReport`: location, description, reporter, attributes, photos and links.
    func newReport(_ form: Open311Form, principal: Principal) async throws -> NewReport {
        guard let code = form.value("service_code") else { throw Open311Failure.badRequest("service_code is required.") }
        let position: ReportPosition
        switch (form.value("lat"), form.value("long")) {
        case (let lat?, let lon?):
            guard let latitude = Double(lat), let longitude = Double(lon) else {
                throw Open311Failure.badRequest("lat and long must be decimal degrees.")
            }
            position = try ReportRules.position(lat: latitude, lon: longitude, easting: nil, northing: nil)
        case (nil, nil):
            // Decided: no address lookup here. A point is what routes a report to a council.
            if form.value("address_string") != nil || form.value("address_id") != nil {
                throw Open311Failure.badRequest(
                    "lat and long are required: this server cannot place an address_string or address_id on the map."
                )
            }
            throw Open311Failure.badRequest("lat and long are required.")
        default:
            throw Open311Failure.badRequest("lat and long must be sent together.")
        }
        // A multivaluelist answer arrives as `attribute[code][]=a&attribute[code][]=b`, or (as
        // FixMyStreet sends it) as a repeated `attribute[code]=a&attribute[code]=b`: every value
        // is kept. One plain value is text (the category's rules read it as a one-item list
        // where the question is a multivaluelist); an empty one is a skipped question.
        var answers: [String: AttributeAnswer] = [:]
        var lists: [String: [String]] = [:]
        var repeated: [String: [String]] = [:]
        for (name, value) in form.fields where name.hasPrefix("attribute[") {
            if name.hasSuffix("][]") {
                let code = String(name.dropFirst("attribute[".count).dropLast(3))
                lists[code, default: []].append(value)
            } else if name.hasSuffix("]") {
                let code = String(name.dropFirst("attribute[".count).dropLast())
                if !value.isEmpty { repeated[code, default: []].append(value) }
            }
        }
        for (code, values) in repeated { answers[code] = values.count == 1 ? .text(values[0]) : .list(values) }
        for (code, values) in lists { answers[code] = .list((repeated[code] ?? []) + values.filter { !$0.isEmpty }) }

        let name = [form.value("first_name"), form.value("last_name")].compactMap { $0 }.filter { $0 != "-" }.joined(separator: " ")
        var report = NewReport(
            categoryCode: code,
            position: position,
            description: form.text("description") ?? "",
            address: form.value("address_string"),
            attributes: answers,
            reporter: ReporterContact(name: name, email: form.value("email"), phone: form.value("phone")),
            anonymous: true,
            photoIDs: []
        )
        report.source = .open311
        report.accountID = form.value("account_id")
        report.deviceID = form.value("device_id")
        if report.description.isEmpty { throw Open311Failure.badRequest("description is required.") }
        if let link = form.value("media_url") {
            guard link.unicodeScalars.count <= 2000, link.wholeMatch(of: URLGrammar.link) != nil
            else { throw Open311Failure.badRequest("media_url must be an http or https URL.") }
            report.mediaURLs = [link]
        }
        let shape = ReportRules.checkShape(report)
        if !shape.isEmpty { throw APIError.validation(shape) }
        report.photoIDs = try await storePhotos(form.files, principal: principal)
        return report
    }

    /// Uploaded photos, cleaned of their metadata and stored like any other.
    func storePhotos(_ files: [Open311Form.File], principal: Principal) async throws -> [UUID] {
        guard files.count <= ReportRules.maxPhotos else {
            throw Open311Failure.badRequest("At most \(ReportRules.maxPhotos) photos may be sent.")
        }
        var ids: [UUID] = []
        for file in files {
            guard file.bytes.count <= maxMediaBytes else {
                throw Open311Failure.badRequest("\(file.field) is larger than the \(maxMediaBytes) bytes allowed.")
            }
            let format: ImageFormat
            let clean: [UInt8]
            do { (format, clean) = try ImageSanitizer.sanitize(file.bytes) } catch {
                throw Open311Failure.badRequest("\(file.field) is not a JPEG, PNG or WebP image.")
            }
            ids.append(try await media.store(clean, format: format, clientKeyID: principal.keyID).id)
        }
        return ids
    }

    /// The same form in any field order hashes the same; the api_key is not part of it.
    static func fingerprint(_ form: Open311Form) -> String {
        form.fields.filter { $0.name != "api_key" }.map { "\($0.name)=\($0.value)" }.sorted().joined(separator: "&")
            + "&files="
            + form.files.map { Secrets.sha256(String(decoding: $0.bytes, as: UTF8.self)).map { String($0) }.joined() }.joined(separator: ",")
    }
}
