import Foundation
import IntakeCore
import IntakeProblems

/// Names the query parameter the generated server could not read.
///
/// The generated server decodes the contract's typed query parameters (numbers, booleans, enums,
/// lists) and checks required ones before a handler runs. When one is missing or does not decode,
/// the runtime throws an error that does not say which (its URI decoder has no coding path at the
/// root), so the client would get a 422 naming nothing. This reads the operation's typed
/// parameters again from the request and says which are missing or malformed.
/// `ContractRulesTests.theTableOfTypedQueryParametersIsTheContracts` checks the table against
/// the contract.
enum QueryParameterProblems {
    enum Kind: Equatable {
        case integer
        case number
        case boolean
        /// A comma-separated list of numbers (`style: form, explode: false`).
        case numbers
        case oneOf([String])
        /// Text: only its presence can be wrong.
        case text
    }

    struct Parameter: Equatable {
        var name: String
        var kind: Kind
        var required = false
        /// What to say of a value of the wrong kind, where the generic words would not do.
        var detail: String? = nil
    }

    /// Each operation's query parameters that the generated server reads or requires itself.
    static let table: [String: [Parameter]] = [
        "listCategories": [.init(name: "include_retired", kind: .boolean)],
        "listServicesAtPoint": [degrees("lat"), degrees("lon")],
        "listReports": [.init(name: "bbox", kind: .numbers), .init(name: "limit", kind: .integer)],
        "listNearbyReports": [
            degrees("lat"), degrees("lon"), .init(name: "category", kind: .text, required: true),
        ],
        "listAuditEvents": [.init(name: "limit", kind: .integer)],
        "listDeliveryAttempts": [.init(name: "limit", kind: .integer)],
        "listDestinationDeadMessages": [.init(name: "limit", kind: .integer)],
        "listDeadMessages": [.init(name: "limit", kind: .integer)],
        "searchPayments": [.init(name: "state", kind: .oneOf(PaymentState.allCases.map(\.rawValue))), .init(name: "limit", kind: .integer)],
        "getReconciliation": [.init(name: "date", kind: .text, required: true), .init(name: "format", kind: .oneOf(["json", "csv"]))],
    ]

    static func degrees(_ name: String) -> Parameter {
        .init(name: name, kind: .number, required: true, detail: "must be a number in decimal degrees")
    }

    /// The problem for a request whose query the generated server refused, or nil when the
    /// operation's typed parameters all read well (the failure was elsewhere).
    static func problem(operationID: String, path: String?) -> APIError? {
        guard let parameters = table[operationID] else { return nil }
        let items = queryItems(path)
        var errors: [FieldError] = []
        for parameter in parameters {
            let pointer = "/query/\(parameter.name)"
            // An empty value (`lat=`, as forms send it) is "required" where one is, and otherwise
            // what it is: not a number, not true or false.
            guard let value = items[parameter.name], !(value.isEmpty && parameter.required && parameter.kind != .text) else {
                if parameter.required { errors.append(FieldError(pointer: pointer, detail: "is required", code: "required")) }
                continue
            }
            if let detail = problem(with: value, kind: parameter.kind) {
                errors.append(FieldError(pointer: pointer, detail: parameter.detail ?? detail, code: "wrong_type"))
            }
        }
        return errors.isEmpty ? nil : .validation(errors)
    }

    private static func problem(with value: String, kind: Kind) -> String? {
        switch kind {
        case .integer: return Int(value) == nil ? "must be a whole number" : nil
        case .number: return Double(value) == nil ? "must be a number" : nil
        case .boolean: return Bool(value) == nil ? "must be true or false" : nil
        case .numbers:
            return value.split(separator: ",", omittingEmptySubsequences: false).allSatisfy { Double($0) != nil }
                ? nil : "must be numbers separated by commas"
        case .oneOf(let allowed): return allowed.contains(value) ? nil : "must be one of \(allowed.joined(separator: ", "))"
        case .text: return nil
        }
    }

    /// The first value of each query item, percent-decoded ("+" is a space, as forms send it).
    static func queryItems(_ path: String?) -> [String: String] {
        guard let path, let mark = path.firstIndex(of: "?") else { return [:] }
        var items: [String: String] = [:]
        for pair in path[path.index(after: mark)...].split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decoded(_ text: Substring) -> String {
                let spaced = text.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            let name = decoded(parts[0])
            if items[name] == nil { items[name] = parts.count > 1 ? decoded(parts[1]) : "" }
        }
        return items
    }
}
