import Foundation
import IntakeServices

/// A POST body of the Open311 facade: `application/x-www-form-urlencoded`, or
/// `multipart/form-data` when photos come with it (FixMyStreet sends parts `photo1`…, `file_*`).
struct Open311Form: Sendable {
    struct File: Sendable {
        var field: String
        var contentType: String?
        var bytes: [UInt8]
    }

    var fields: [(name: String, value: String)] = []
    var files: [File] = []

    /// The first value of `name`; an empty value counts as absent, as the spec says.
    func value(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.name == name })?.value.trimmingCharacters(in: .whitespacesAndNewlines),
            !value.isEmpty
        else { return nil }
        return value
    }

    /// The first value as sent, untrimmed (descriptions keep their line breaks); nil when blank.
    func text(_ name: String) -> String? {
        guard let value = fields.first(where: { $0.name == name })?.value,
            !value.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return nil }
        return value
    }

    func values(_ name: String) -> [String] { fields.filter { $0.name == name }.map(\.value) }

    enum ParseError: Error {
        case unsupported(String)
        case malformed(String)
    }

    static func parse(contentType: String?, body: [UInt8]) throws(ParseError) -> Open311Form {
        let type = (contentType ?? "").lowercased()
        if type.hasPrefix("multipart/form-data") {
            // RFC 2046 allows 1–70 characters; a longer one only makes the search for it costlier.
            guard let boundary = parameter("boundary", in: contentType ?? ""), (1...70).contains(boundary.utf8.count) else {
                throw .malformed("multipart/form-data without a boundary of 1–70 characters")
            }
            return try multipart(body, boundary: boundary)
        }
        if type.isEmpty || type.hasPrefix("application/x-www-form-urlencoded") {
            return Open311Form(fields: urlencoded(String(decoding: body, as: UTF8.self)))
        }
        throw .unsupported("send application/x-www-form-urlencoded or multipart/form-data")
    }

    /// Query strings and form bodies: `+` is a space, then percent-decoding.
    static func urlencoded(_ text: String) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            func decode(_ part: Substring) -> String {
                let spaced = part.replacingOccurrences(of: "+", with: " ")
                return spaced.removingPercentEncoding ?? spaced
            }
            return (decode(parts[0]), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func parameter(_ name: String, in header: String) -> String? {
        for piece in header.split(separator: ";").dropFirst() {
            let pair = piece.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if pair.count == 2, pair[0].lowercased() == name {
                return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            }
        }
        return nil
    }

    static func multipart(_ body: [UInt8], boundary: String) throws(ParseError) -> Open311Form {
        let delimiter = Array("--\(boundary)".utf8)
        var form = Open311Form()
        var parts: [ArraySlice<UInt8>] = []
        var searchFrom = 0
        var partStart: Int?
        while let found = find(delimiter, in: body, from: searchFrom) {
            if let start = partStart {
                // A part ends with CRLF before the next delimiter.
                var end = found
                if end - 2 >= start, body[end - 2] == 13, body[end - 1] == 10 { end -= 2 }
                parts.append(body[start..<max(end, start)])
            }
            var next = found + delimiter.count
            if next + 1 < body.count, body[next] == 45, body[next + 1] == 45 { break }  // "--": the last one
            if next + 1 < body.count, body[next] == 13, body[next + 1] == 10 { next += 2 }
            partStart = next
            searchFrom = next
        }
        if parts.isEmpty && !body.isEmpty { throw .malformed("no parts found for the boundary") }
        for part in parts {
            guard let split = find(Array("\r\n\r\n".utf8), in: Array(part), from: 0) else { continue }
            let headerBytes = Array(part)[..<split]
            let content = Array(Array(part)[(split + 4)...])
            var name: String?
            var filename: String?
            var type: String?
            for line in String(decoding: headerBytes, as: UTF8.self).components(separatedBy: "\r\n") {
                let lower = line.lowercased()
                if lower.hasPrefix("content-disposition:") {
                    name = parameter("name", in: line)
                    filename = parameter("filename", in: line)
                } else if lower.hasPrefix("content-type:") {
                    type = line.split(separator: ":", maxSplits: 1).last.map { $0.trimmingCharacters(in: .whitespaces) }
                }
            }
            guard let name else { continue }
            if filename != nil || (type.map { !$0.lowercased().hasPrefix("text/") } ?? false) {
                form.files.append(File(field: name, contentType: type, bytes: content))
            } else {
                form.fields.append((name, String(decoding: content, as: UTF8.self)))
            }
        }
        return form
    }

    static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        guard !needle.isEmpty, haystack.count >= needle.count, start <= haystack.count - needle.count else { return nil }
        var index = start
        let last = haystack.count - needle.count
        while index <= last {
            if haystack[index] == needle[0] && haystack[index..<(index + needle.count)].elementsEqual(needle) { return index }
            index += 1
        }
        return nil
    }
}
