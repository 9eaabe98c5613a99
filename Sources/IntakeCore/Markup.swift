/// Text made safe inside XML and HTML elements and quoted attributes.
public enum Markup {
    public static func escape(_ text: String) -> String {
        // Most text needs nothing: it is returned as it is, without a copy (an Open311 list of
        // a thousand requests escapes ten thousand fields). The characters replaced or dropped
        // are all ASCII, and no byte of a multi-byte UTF-8 sequence is, so bytes can be read.
        guard text.utf8.contains(where: needsWork) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 32)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "&"): out.append(contentsOf: "&amp;".utf8)
            case UInt8(ascii: "<"): out.append(contentsOf: "&lt;".utf8)
            case UInt8(ascii: ">"): out.append(contentsOf: "&gt;".utf8)
            case UInt8(ascii: "\""): out.append(contentsOf: "&quot;".utf8)
            case UInt8(ascii: "'"): out.append(contentsOf: "&apos;".utf8)
            // Characters XML 1.0 cannot carry at all.
            case _ where isForbidden(byte): continue
            default: out.append(byte)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func needsWork(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "&"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\""), UInt8(ascii: "'"): true
        default: isForbidden(byte)
        }
    }

    /// Control characters other than tab, line feed and carriage return.
    private static func isForbidden(_ byte: UInt8) -> Bool {
        byte < 0x20 && byte != UInt8(ascii: "\n") && byte != UInt8(ascii: "\r") && byte != UInt8(ascii: "\t")
    }
}
