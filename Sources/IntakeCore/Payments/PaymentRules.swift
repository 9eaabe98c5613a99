import Foundation

/// Checks a payment request against GOV.UK Pay's limits and the council's own rules, naming
/// every field that is wrong at once. (GOV.UK Pay's metadata limits are those of its public
/// API's `ExternalMetadata`: 10 pairs, keys 1–30 characters, text values up to 100.)
public enum PaymentRules {
    public static let maxMetadataKeys = 10
    public static let maxMetadataKeyLength = 30
    public static let maxMetadataTextLength = 100

    /// Checks that need no council: shape, limits, URL. The account reference and the amount's
    /// upper bound are the council's (`councilProblems`).
    public static func shapeProblems(_ request: NewPaymentIntent) -> [FieldError] {
        var errors: [FieldError] = []
        if request.amountPence < 1 {
            errors.append(FieldError(pointer: "/amount", detail: "must be a whole number of pence, at least 1", code: "out_of_range"))
        }
        if request.accountReference.trimmingCharacters(in: .whitespaces).isEmpty || request.accountReference.unicodeScalars.count > 64 {
            errors.append(FieldError(pointer: "/account_reference", detail: "must be 1–64 characters", code: "invalid_length"))
        }
        if let name = request.payerName, name.trimmingCharacters(in: .whitespaces).isEmpty || name.unicodeScalars.count > 255 {
            errors.append(FieldError(pointer: "/payer_name", detail: "must be 1–255 characters", code: "invalid_length"))
        }
        if let email = request.payerEmail, !isEmail(email) {
            errors.append(FieldError(pointer: "/payer_email", detail: "is not an email address", code: "invalid_email"))
        }
        if !isHTTPSURL(request.returnURL) {
            errors.append(FieldError(pointer: "/return_url", detail: "must be an https URL (at most 2000 characters)", code: "invalid_url"))
        }
        if request.metadata.count > maxMetadataKeys {
            errors.append(FieldError(pointer: "/metadata", detail: "may hold at most \(maxMetadataKeys) keys", code: "too_many_keys"))
        }
        if Set(request.metadata.keys.map { $0.lowercased() }).count != request.metadata.count {
            errors.append(FieldError(pointer: "/metadata", detail: "keys must differ in more than letter case", code: "duplicate_key"))
        }
        // Control characters (NUL above all) cannot be stored or sent on: refuse them by name.
        let texts: [(String, String?)] = [
            ("/account_reference", request.accountReference), ("/payer_name", request.payerName),
            ("/payer_email", request.payerEmail), ("/return_url", request.returnURL),
        ]
        for (pointer, text) in texts where text.map(hasControlCharacters) == true {
            errors.append(FieldError(pointer: pointer, detail: "must not contain control characters", code: "invalid_characters"))
        }
        for (key, value) in request.metadata.sorted(by: { $0.key < $1.key }) {
            let pointer = "/metadata/" + JSONPointer.escape(key)
            if !(1...maxMetadataKeyLength).contains(key.unicodeScalars.count) {
                errors.append(FieldError(pointer: pointer, detail: "keys must be 1–\(maxMetadataKeyLength) characters", code: "invalid_key"))
            }
            if hasControlCharacters(key) {
                errors.append(FieldError(pointer: pointer, detail: "keys must not contain control characters", code: "invalid_characters"))
            }
            if case .text(let text) = value, hasControlCharacters(text) {
                errors.append(FieldError(pointer: pointer, detail: "must not contain control characters", code: "invalid_characters"))
            }
            if case .number(let number) = value, !number.isFinite {
                errors.append(FieldError(pointer: pointer, detail: "must be a finite number", code: "invalid"))
            }
            if case .text(let text) = value, text.unicodeScalars.count > maxMetadataTextLength {
                errors.append(
                    FieldError(pointer: pointer, detail: "text values may be at most \(maxMetadataTextLength) characters", code: "invalid_length")
                )
            }
        }
        return errors
    }

    /// The council's rules: the amount's maximum and the account reference's format. Returns
    /// the normalised reference when it passes.
    public static func councilProblems(_ request: NewPaymentIntent, settings: PaymentSettings) -> (String?, [FieldError]) {
        var errors: [FieldError] = []
        if request.amountPence > settings.maxAmountPence {
            errors.append(
                FieldError(
                    pointer: "/amount",
                    detail: "must be at most \(settings.maxAmountPence) pence for this council",
                    code: "out_of_range"
                )
            )
        }
        let rule = settings.referenceRule
        var normalised: String?
        switch rule.check(request.accountReference) {
        case .success(let reference): normalised = reference
        case .failure(let failure):
            let why = failure == .pattern ? "is not in this council's format" : "has a wrong check character"
            errors.append(
                FieldError(
                    pointer: "/account_reference",
                    detail: "\(why): \(rule.description) (for example \(rule.example))",
                    code: "invalid_account_reference"
                )
            )
        }
        return (normalised, errors)
    }

    static func hasControlCharacters(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0.properties.generalCategory == .control }
    }

    static func isEmail(_ text: String) -> Bool {
        // In code points, as the contract's pattern reads it: as characters, an "@" or "." followed
        // by a combining mark or an emoji modifier would be one character with it, and not found.
        let scalars = Array(text.unicodeScalars)
        guard scalars.count <= 254,
            !scalars.contains(where: { $0.properties.isWhitespace || $0.properties.generalCategory == .control })
        else { return false }
        let parts = scalars.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].count) else { return false }
        // A domain of dot-separated labels, none empty: rules out "a@b..c" and "a@.b".
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && $0.first != "-" && $0.last != "-" }
    }

    static func isHTTPSURL(_ text: String) -> Bool {
        guard text.count <= 2000, let url = URL(string: text), url.scheme?.lowercased() == "https", let host = url.host, !host.isEmpty
        else { return false }
        return text.wholeMatch(of: URLGrammar.returnURL) != nil
    }
}
