import Foundation

/// How a council's council-tax account references look. There is no national format: each
/// council has its own length and prefix, and some end in a check character. A rule is a
/// pattern plus an optional check scheme, with words for people and an example.
public struct AccountReferenceRule: Sendable, Equatable, Codable {
    public enum CheckScheme: String, Sendable, Equatable, Codable, CaseIterable {
        case none
        /// Weights n+1 … 2 over the n leading digits; the last character makes the weighted sum
        /// a multiple of 11, written X when it is 10 (as ISBN-10).
        case modulus11 = "modulus_11"
    }

    /// A regular expression the whole (normalised) reference must match.
    public var pattern: String
    public var checkScheme: CheckScheme
    /// For people: "8 digits starting with 4; the last may be X".
    public var description: String
    public var example: String

    public init(pattern: String, checkScheme: CheckScheme = .none, description: String, example: String) {
        self.pattern = pattern
        self.checkScheme = checkScheme
        self.description = description
        self.example = example
    }

    public enum Failure: Error, Sendable, Equatable {
        case pattern
        case checkCharacter
    }

    /// Upper case, spaces and dashes removed: what payers type varies, the account does not.
    public static func normalise(_ reference: String) -> String {
        String(reference.uppercased().filter { !$0.isWhitespace && $0 != "-" })
    }

    /// The normalised reference, or why it is not one of this council's.
    public func check(_ reference: String) -> Result<String, Failure> {
        let normalised = Self.normalise(reference)
        guard let regex = try? Regex(pattern), (try? regex.wholeMatch(in: normalised)) != nil else { return .failure(.pattern) }
        switch checkScheme {
        case .none: return .success(normalised)
        case .modulus11: return Self.modulus11Valid(normalised) ? .success(normalised) : .failure(.checkCharacter)
        }
    }

    /// Problems with the rule itself, for the admin API: a pattern that does not compile, or an
    /// example that fails its own rule.
    public func problems() -> [FieldError] {
        var errors: [FieldError] = []
        if (try? Regex(pattern)) == nil {
            errors.append(FieldError(pointer: "/pattern", detail: "is not a valid regular expression", code: "invalid_pattern"))
        } else if case .failure(let failure) = check(example) {
            errors.append(
                FieldError(
                    pointer: "/example",
                    detail: failure == .pattern ? "does not match the pattern" : "has a wrong check character",
                    code: "invalid_example"
                )
            )
        }
        if description.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty || description.unicodeScalars.count > 300 {
            errors.append(FieldError(pointer: "/description", detail: "must be 1–300 characters", code: "invalid_length"))
        }
        return errors
    }

    static func modulus11Valid(_ reference: String) -> Bool {
        let characters = Array(reference)
        guard characters.count >= 2, let check = characters.last else { return false }
        var sum = 0
        let body = characters.dropLast()
        for (index, character) in body.enumerated() {
            guard let digit = character.wholeNumberValue else { return false }
            sum += digit * (body.count + 1 - index)
        }
        let value: Int
        if check == "X" { value = 10 } else if let digit = check.wholeNumberValue { value = digit } else { return false }
        return (sum + value) % 11 == 0
    }
}
