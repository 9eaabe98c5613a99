import Foundation

/// Splits a migration file into statements. postgres-nio speaks only the extended query
/// protocol, which takes one statement at a time, so the file is cut at top-level semicolons:
/// not inside quotes, quoted identifiers, dollar-quoted bodies or comments.
enum SQLScript {
    static func statements(_ sql: String) -> [String] {
        let chars = Array(sql.unicodeScalars)
        var statements: [String] = []
        var current = String.UnicodeScalarView()
        var index = 0

        func flush() {
            let text = String(current).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty && !isOnlyComments(text) { statements.append(text) }
            current = String.UnicodeScalarView()
        }

        while index < chars.count {
            let char = chars[index]
            let next = index + 1 < chars.count ? chars[index + 1] : nil
            switch char {
            case "-" where next == "-":
                // Line comment: copy through the end of the line.
                while index < chars.count && chars[index] != "\n" {
                    current.append(chars[index])
                    index += 1
                }
                continue
            case "/" where next == "*":
                var depth = 0
                repeat {
                    if chars[index] == "/" && index + 1 < chars.count && chars[index + 1] == "*" { depth += 1 }
                    if chars[index] == "*" && index + 1 < chars.count && chars[index + 1] == "/" {
                        depth -= 1
                        current.append(chars[index])
                        index += 1
                    }
                    current.append(chars[index])
                    index += 1
                } while index < chars.count && depth > 0
                continue
            case "'", "\"":
                // Quoted string or identifier; a doubled quote is an escaped quote.
                current.append(char)
                index += 1
                while index < chars.count {
                    current.append(chars[index])
                    if chars[index] == char {
                        if index + 1 < chars.count && chars[index + 1] == char {
                            current.append(chars[index + 1])
                            index += 2
                            continue
                        }
                        index += 1
                        break
                    }
                    index += 1
                }
                continue
            case "$":
                if let tag = dollarTag(chars, at: index) {
                    let tagChars = Array(tag.unicodeScalars)
                    current.append(contentsOf: tagChars)
                    index += tagChars.count
                    while index < chars.count {
                        if chars[index] == "$", index + tagChars.count <= chars.count,
                            Array(chars[index..<(index + tagChars.count)]) == tagChars
                        {
                            current.append(contentsOf: tagChars)
                            index += tagChars.count
                            break
                        }
                        current.append(chars[index])
                        index += 1
                    }
                    continue
                }
            case ";":
                flush()
                index += 1
                continue
            default:
                break
            }
            current.append(char)
            index += 1
        }
        flush()
        return statements
    }

    /// `$$` or `$tag$` starting at `index`, if there is one.
    private static func dollarTag(_ chars: [Unicode.Scalar], at index: Int) -> String? {
        var end = index + 1
        while end < chars.count,
            chars[end] == "_" || chars[end].properties.isAlphabetic
                || (end > index + 1 && ("0"..."9").contains(chars[end]))
        {
            end += 1
        }
        guard end < chars.count, chars[end] == "$" else { return nil }
        return String(String.UnicodeScalarView(chars[index...end]))
    }

    private static func isOnlyComments(_ text: String) -> Bool {
        text.split(separator: "\n").allSatisfy { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--") }
    }
}
