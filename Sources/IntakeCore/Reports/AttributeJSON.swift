/// Attribute answers to and from the JSON stored in `reports.attributes`: an object whose values
/// are strings, numbers or arrays of strings. Done by hand because every listed report reads
/// one, and Foundation's JSON coders cost more than the rest of the row (`nil` from `parse`
/// means "not that shape": the caller falls back to a full decoder).
public enum AttributeJSON {
    public static func write(_ answers: [String: AttributeAnswer]) -> String {
        var out = "{"
        for (index, (code, answer)) in answers.sorted(by: { $0.key < $1.key }).enumerated() {
            if index > 0 { out += "," }
            quote(code, into: &out)
            out += ":"
            switch answer {
            case .text(let text): quote(text, into: &out)
            case .number(let number): out += format(number)
            case .list(let items):
                out += "["
                for (position, item) in items.enumerated() {
                    if position > 0 { out += "," }
                    quote(item, into: &out)
                }
                out += "]"
            }
        }
        return out + "}"
    }

    /// Whole numbers without a fraction (as JSONEncoder writes them), others in Swift's shortest
    /// round-tripping form.
    static func format(_ number: Double) -> String {
        guard number.isFinite else { return "null" }
        if number == number.rounded(), abs(number) < 1e15 { return String(Int64(number)) }
        return number.description
    }

    public static func write(_ texts: [String: String]) -> String {
        write(texts.mapValues { AttributeAnswer.text($0) })
    }

    /// `text` as a JSON string: quotes, backslashes and control characters escaped (the one
    /// string writer of the hand-written JSON, Open311's included).
    public static func quote(_ text: String, into out: inout String) {
        out += "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }

    public static func parse(_ text: String) -> [String: AttributeAnswer]? {
        var parser = Parser(bytes: Array(text.utf8))
        return parser.object()
    }

    struct Parser {
        let bytes: [UInt8]
        var index = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while index < bytes.count, bytes[index] == 0x20 || bytes[index] == 0x0A || bytes[index] == 0x0D || bytes[index] == 0x09 {
                index += 1
            }
        }

        mutating func take(_ byte: UInt8) -> Bool {
            skipSpace()
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func object() -> [String: AttributeAnswer]? {
            guard take(UInt8(ascii: "{")) else { return nil }
            var answers: [String: AttributeAnswer] = [:]
            if take(UInt8(ascii: "}")) { return end(answers) }
            repeat {
                guard let key = string(), take(UInt8(ascii: ":")), let value = answer() else { return nil }
                answers[key] = value
            } while take(UInt8(ascii: ","))
            guard take(UInt8(ascii: "}")) else { return nil }
            return end(answers)
        }

        mutating func end(_ answers: [String: AttributeAnswer]) -> [String: AttributeAnswer]? {
            skipSpace()
            return index == bytes.count ? answers : nil
        }

        mutating func answer() -> AttributeAnswer? {
            skipSpace()
            guard index < bytes.count else { return nil }
            switch bytes[index] {
            case UInt8(ascii: "\""): return string().map(AttributeAnswer.text)
            case UInt8(ascii: "["):
                index += 1
                var items: [String] = []
                if take(UInt8(ascii: "]")) { return .list(items) }
                repeat {
                    guard let item = string() else { return nil }
                    items.append(item)
                } while take(UInt8(ascii: ","))
                return take(UInt8(ascii: "]")) ? .list(items) : nil
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                let start = index
                while index < bytes.count, Self.isNumberByte(bytes[index]) { index += 1 }
                let number = Double(String(decoding: bytes[start..<index], as: UTF8.self))
                return number.map(AttributeAnswer.number)
            default: return nil
            }
        }

        static func isNumberByte(_ byte: UInt8) -> Bool {
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                true
            default: false
            }
        }

        /// A JSON string; escapes other than the simple ones and BMP `\u` send the caller to
        /// the full decoder.
        mutating func string() -> String? {
            guard take(UInt8(ascii: "\"")) else { return nil }
            let start = index
            while index < bytes.count, bytes[index] != UInt8(ascii: "\""), bytes[index] != UInt8(ascii: "\\") { index += 1 }
            guard index < bytes.count else { return nil }
            if bytes[index] == UInt8(ascii: "\"") {
                defer { index += 1 }
                return String(decoding: bytes[start..<index], as: UTF8.self)
            }
            var out = Array(bytes[start..<index])
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                if byte == UInt8(ascii: "\"") { return String(decoding: out, as: UTF8.self) }
                guard byte == UInt8(ascii: "\\") else {
                    out.append(byte)
                    continue
                }
                guard index < bytes.count else { return nil }
                let escape = bytes[index]
                index += 1
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x09)
                case UInt8(ascii: "b"): out.append(0x08)
                case UInt8(ascii: "f"): out.append(0x0C)
                case UInt8(ascii: "u"):
                    guard index + 4 <= bytes.count,
                        let code = UInt32(String(decoding: bytes[index..<index + 4], as: UTF8.self), radix: 16),
                        let scalar = Unicode.Scalar(code)  // surrogates are nil: full decoder
                    else { return nil }
                    index += 4
                    out.append(contentsOf: Array(String(Character(scalar)).utf8))
                default: return nil
                }
            }
            return nil
        }
    }
}
