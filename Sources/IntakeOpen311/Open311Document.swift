import Foundation
import IntakeCore
import IntakeServices

/// A response body of the Open311 facade, written as XML or JSON from one tree so the two
/// formats always carry the same data.
///
/// Lists name their items for XML (`services` holds `service` elements) and are top-level
/// arrays in JSON; records keep their field order. A nil field is left out of XML and is
/// `null` in JSON (clients index JSON fields directly).
indirect enum Open311Node: Sendable, Equatable {
    case text(String?)
    case number(Double)
    case bool(Bool)
    case list(item: String, [Open311Node])
    case record([(String, Open311Node)])

    static func == (lhs: Open311Node, rhs: Open311Node) -> Bool {
        switch (lhs, rhs) {
        case (.text(let a), .text(let b)): a == b
        case (.number(let a), .number(let b)): a == b
        case (.bool(let a), .bool(let b)): a == b
        case (.list(let x, let a), .list(let y, let b)): x == y && a == b
        case (.record(let a), .record(let b)): a.map(\.0) == b.map(\.0) && a.map(\.1) == b.map(\.1)
        default: false
        }
    }

    static func date(_ date: Date?) -> Open311Node { .text(date.map(Open311Dates.format)) }
}

enum Open311Format: String, Sendable {
    case xml, json

    var contentType: String { self == .xml ? "text/xml; charset=utf-8" : "application/json; charset=utf-8" }

    /// `services.xml` → ("services", .xml); nil without a known suffix.
    static func split(_ file: String) -> (name: String, format: Open311Format)? {
        guard let dot = file.lastIndex(of: "."), let format = Open311Format(rawValue: String(file[file.index(after: dot)...]).lowercased())
        else { return nil }
        return (String(file[..<dot]), format)
    }
}

/// Datetimes as the spec and open311-adapter want them: `YYYY-MM-DDTHH:MM:SSZ` (UTC).
enum Open311Dates {
    static func format(_ date: Date) -> String { InternetDate.format(date) }

    /// W3C (RFC 3339) datetimes with a timezone, with or without fractional seconds: exactly
    /// the contract's `DateTimeFilter` (Foundation's parser would also take 2023-02-30 or `+0100`).
    static func parse(_ text: String) -> Date? { InternetDate.parse(text) }
}

enum Open311Writer {
    static func render(_ node: Open311Node, root: String, format: Open311Format) -> String {
        switch format {
        case .xml:
            var out = #"<?xml version="1.0" encoding="utf-8"?>"#
            out.reserveCapacity(4096)
            xml(node, name: root, into: &out)
            return out
        case .json:
            var out = ""
            json(node, into: &out)
            return out
        }
    }

    static func xml(_ node: Open311Node, name: String, into out: inout String) {
        // Appended piece by piece: a list of a thousand requests is 17,000 elements.
        func open() {
            out.append("<")
            out.append(name)
            out.append(">")
        }
        func close() {
            out.append("</")
            out.append(name)
            out.append(">")
        }
        switch node {
        case .text(nil): return
        case .text(let text?):
            open()
            out.append(escapeXML(text))
            close()
        case .number(let number):
            open()
            out.append(Open311Outbound.format(number))
            close()
        case .bool(let value):
            open()
            out.append(value ? "true" : "false")
            close()
        case .list(let item, let items):
            open()
            for child in items { xml(child, name: item, into: &out) }
            close()
        case .record(let fields):
            open()
            for (key, value) in fields { xml(value, name: key, into: &out) }
            close()
        }
    }

    static func json(_ node: Open311Node, into out: inout String) {
        switch node {
        case .text(nil): out += "null"
        case .text(let text?): out += quoteJSON(text)
        case .number(let number): out += Open311Outbound.format(number)
        case .bool(let value): out += value ? "true" : "false"
        case .list(_, let items):
            out += "["
            for (index, child) in items.enumerated() {
                if index > 0 { out += "," }
                json(child, into: &out)
            }
            out += "]"
        case .record(let fields):
            out += "{"
            for (index, (key, value)) in fields.enumerated() {
                if index > 0 { out += "," }
                out += quoteJSON(key) + ":"
                json(value, into: &out)
            }
            out += "}"
        }
    }

    static func escapeXML(_ text: String) -> String { Markup.escape(text) }

    static func quoteJSON(_ text: String) -> String {
        var out = ""
        AttributeJSON.quote(text, into: &out)
        return out
    }
}
