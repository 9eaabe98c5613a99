import Foundation

/// The checks on a report: first its own shape, then (once routing has found the category) the
/// category's questions and requirements. Every problem is named with a pointer.
public enum ReportRules {
    public static let maxDescription = 4000
    public static let maxAddress = 500
    public static let maxPhotos = 5

    /// The location as sent: exactly one of lat/lon or easting/northing.
    public static func position(
        lat: Double?,
        lon: Double?,
        easting: Double?,
        northing: Double?
    ) throws(ValidationFailure)
        -> ReportPosition
    {
        switch (lat, lon, easting, northing) {
        case (let lat?, let lon?, nil, nil):
            let errors = LatLon.check(lat: lat, lon: lon, pointerPrefix: "/location")
            if !errors.isEmpty { throw .validation(errors) }
            return .wgs84(LatLon(lat: lat, lon: lon))
        case (nil, nil, let easting?, let northing?):
            // The extent of the British National Grid over Great Britain.
            guard (0...700_000).contains(easting), (0...1_300_000).contains(northing) else {
                throw .validation([
                    FieldError(
                        pointer: "/location",
                        detail: "easting and northing are outside Great Britain",
                        code: "outside_great_britain"
                    )
                ])
            }
            return .britishNationalGrid(easting: easting, northing: northing)
        default:
            throw .validation([
                FieldError(
                    pointer: "/location",
                    detail: "must have lat and lon, or easting and northing (not both)",
                    code: "invalid_location"
                )
            ])
        }
    }

    /// Checks that need no category: text, contact formats, photo count.
    public static func checkShape(_ report: NewReport) -> [FieldError] {
        var errors: [FieldError] = []
        let description = report.description.trimmingCharacters(in: .whitespacesAndNewlines)
        if description.isEmpty || report.description.unicodeScalars.count > maxDescription {
            errors.append(FieldError(pointer: "/description", detail: "must be 1–\(maxDescription) characters", code: "invalid_length"))
        } else if hasControlCharacters(report.description) {
            errors.append(
                FieldError(pointer: "/description", detail: "must not contain control characters", code: "control_characters")
            )
        }
        if let address = report.address {
            if address.unicodeScalars.count > maxAddress {
                errors.append(FieldError(pointer: "/address", detail: "must be at most \(maxAddress) characters", code: "invalid_length"))
            } else if hasControlCharacters(address, allowingNewlines: false) {
                errors.append(FieldError(pointer: "/address", detail: "must not contain control characters", code: "control_characters"))
            }
        }
        if let reporter = report.reporter {
            if let name = reporter.name, name.unicodeScalars.count > 200 || hasControlCharacters(name, allowingNewlines: false) {
                errors.append(FieldError(pointer: "/reporter/name", detail: "must be at most 200 plain characters", code: "invalid_name"))
            }
            if let email = reporter.email, !TextRules.looksLikeEmail(email) {
                errors.append(FieldError(pointer: "/reporter/email", detail: "is not an email address", code: "invalid_email"))
            }
            if let phone = reporter.phone, !looksLikePhone(phone) {
                errors.append(
                    FieldError(pointer: "/reporter/phone", detail: "is not a phone number (6–20 digits)", code: "invalid_phone")
                )
            }
        }
        if report.photoIDs.count > maxPhotos {
            errors.append(FieldError(pointer: "/photos", detail: "must have at most \(maxPhotos) photos", code: "too_many_photos"))
        }
        return errors
    }

    /// Open311 answers: those the category asks for, read by the question's type (everything
    /// arrives as text), and the rest, kept aside as text.
    public static func adoptForeignAnswers(
        _ answers: [String: AttributeAnswer],
        questions: [CategoryAttribute]
    )
        -> (known: [String: AttributeAnswer], other: [String: String])
    {
        let byCode = Dictionary(uniqueKeysWithValues: questions.map { ($0.code, $0) })
        var known: [String: AttributeAnswer] = [:]
        var other: [String: String] = [:]
        for (code, answer) in answers {
            guard let question = byCode[code] else {
                switch answer {
                case .text(let text): other[code] = text
                case .number(let number): other[code] = String(number)
                case .list(let list): other[code] = list.joined(separator: ",")
                }
                continue
            }
            switch (question.datatype, answer) {
            case (.number, .text(let text)): known[code] = Double(text).map(AttributeAnswer.number) ?? answer
            case (.multivaluelist, .text(let text)): known[code] = .list([text])
            default: known[code] = answer
            }
        }
        return (known, other)
    }

    /// Checks against the category the report was routed to.
    public static func check(_ report: NewReport, against category: CategoryDefinition) -> [FieldError] {
        var errors = checkAttributes(report.attributes, against: category.attributes)
        let reporter = report.reporter ?? ReporterContact()
        if category.contactRequired && reporter.email == nil && reporter.phone == nil {
            errors.append(
                FieldError(
                    pointer: "/reporter",
                    detail: "an email address or phone number is required for \(category.name)",
                    code: "contact_required"
                )
            )
        }
        if !category.anonymousAllowed {
            if reporter.name == nil {
                errors.append(
                    FieldError(pointer: "/reporter/name", detail: "is required: \(category.name) cannot be reported anonymously", code: "required")
                )
            }
            if report.anonymous {
                errors.append(
                    FieldError(pointer: "/anonymous", detail: "\(category.name) reports cannot hide the reporter's name", code: "not_allowed")
                )
            }
        }
        if category.photoRequired && report.photoIDs.isEmpty && report.mediaURLs.isEmpty {
            errors.append(FieldError(pointer: "/photos", detail: "at least one photo is required for \(category.name)", code: "required"))
        }
        return errors
    }

    static func checkAttributes(_ answers: [String: AttributeAnswer], against questions: [CategoryAttribute]) -> [FieldError] {
        var errors: [FieldError] = []
        let byCode = Dictionary(uniqueKeysWithValues: questions.map { ($0.code, $0) })
        for code in answers.keys.sorted() where byCode[code] == nil {
            errors.append(
                FieldError(
                    pointer: "/attributes/\(JSONPointer.escape(code))",
                    detail: "is not a question of this category",
                    code: "unknown_attribute"
                )
            )
        }
        for question in questions.sorted(by: { ($0.order, $0.code) < ($1.order, $1.code) }) {
            let pointer = "/attributes/\(JSONPointer.escape(question.code))"
            guard let answer = answers[question.code] else {
                if question.required {
                    errors.append(FieldError(pointer: pointer, detail: "is required (\(question.description))", code: "required"))
                }
                continue
            }
            if !question.variable {
                errors.append(FieldError(pointer: pointer, detail: "is a note, not a question: leave it out", code: "not_allowed"))
                continue
            }
            if let problem = problem(with: answer, for: question) {
                errors.append(FieldError(pointer: pointer, detail: problem, code: "invalid_attribute"))
            }
        }
        return errors
    }

    private static func problem(with answer: AttributeAnswer, for question: CategoryAttribute) -> String? {
        let keys = question.values.map(\.key)
        switch (question.datatype, answer) {
        case (.string, .text(let text)):
            return text.unicodeScalars.count > 1000 || hasControlCharacters(text, allowingNewlines: false)
                ? "must be at most 1000 plain characters" : nil
        case (.text, .text(let text)):
            return text.unicodeScalars.count > 4000 || hasControlCharacters(text) ? "must be at most 4000 plain characters" : nil
        case (.number, .number(let number)):
            return number.isFinite ? nil : "must be a finite number"
        case (.datetime, .text(let text)):
            return parseDateTime(text) == nil ? "must be an ISO 8601 date-time with a time zone" : nil
        case (.singlevaluelist, .text(let key)):
            return keys.contains(key) ? nil : "must be one of \(keys.joined(separator: ", "))"
        case (.multivaluelist, .list(let chosen)):
            if chosen.isEmpty && question.required { return "must choose at least one of \(keys.joined(separator: ", "))" }
            if Set(chosen).count != chosen.count { return "must not repeat a value" }
            let unknown = chosen.filter { !keys.contains($0) }
            return unknown.isEmpty ? nil : "must only contain \(keys.joined(separator: ", "))"
        case (.number, _): return "must be a number"
        case (.multivaluelist, _): return "must be a list of values"
        default: return "must be a string"
        }
    }

    public static func parseDateTime(_ text: String) -> Date? {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return ISO8601DateFormatter().date(from: text) ?? withFraction.date(from: text)
    }

    /// Control characters other than (optionally) newline, carriage return and tab.
    public static func hasControlCharacters(_ text: String, allowingNewlines: Bool = true) -> Bool {
        text.unicodeScalars.contains { scalar in
            if allowingNewlines && (scalar == "\n" || scalar == "\r" || scalar == "\t") { return false }
            return scalar.properties.generalCategory == .control
        }
    }

    static func looksLikePhone(_ text: String) -> Bool {
        let digits = text.filter(\.isASCII).filter(\.isNumber).count
        let allowed = text.allSatisfy { ($0.isASCII && $0.isNumber) || " +-().".contains($0) }
        return allowed && (6...20).contains(digits)
    }

    /// "fly_tipping" → "FT", "pothole" → "PO": the letters before a report's number.
    public static func referencePrefix(for categoryCode: String) -> String {
        let words = categoryCode.split(separator: "_").filter { !$0.isEmpty }
        let letters = words.count >= 2 ? words.prefix(2).compactMap(\.first).map(String.init).joined() : String(words.first?.prefix(2) ?? "RP")
        let prefix = letters.uppercased().filter { $0.isLetter || $0.isNumber }
        return prefix.count == 2 ? prefix : "RP"
    }

    public static func reference(prefix: String, number: Int) -> String {
        prefix + "-" + String(format: "%06d", number)
    }
}
