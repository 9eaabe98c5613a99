/// The image formats photos may have, recognised by their bytes, never by a declared type.
public enum ImageFormat: String, Sendable, CaseIterable {
    case jpeg = "image/jpeg"
    case png = "image/png"
    case webp = "image/webp"

    public var contentType: String { rawValue }
}

/// Removes what a photo says about its author before it is stored: EXIF (GPS position, camera,
/// time), XMP, IPTC and comments from JPEG; text, EXIF and time chunks from PNG; everything but
/// the picture's own chunks from WebP; and in every format whatever follows the image's end (a
/// JPEG's end-of-image marker, PNG's IEND, the size WebP's RIFF header declares), where Motion
/// Photo video and appended files live. The pixels are copied untouched: nothing is re-encoded.
///
/// One consequence: the EXIF orientation tag goes with the rest, so a photo a phone stored
/// sideways is served as stored.
public enum ImageSanitizer {
    public enum Failure: Error, Equatable {
        case notAnImage
        case malformed(String)
    }

    public static func detect(_ bytes: [UInt8]) -> ImageFormat? {
        if bytes.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if bytes.count >= 12, bytes[0..<4].elementsEqual("RIFF".utf8), bytes[8..<12].elementsEqual("WEBP".utf8) {
            return .webp
        }
        return nil
    }

    public static func sanitize(_ bytes: [UInt8]) throws(Failure) -> (ImageFormat, [UInt8]) {
        guard let format = detect(bytes) else { throw .notAnImage }
        switch format {
        case .jpeg: return (format, try jpeg(bytes))
        case .png: return (format, try png(bytes))
        case .webp: return (format, try webp(bytes))
        }
    }

    // MARK: JPEG: marker segments and scans, up to the end-of-image marker.

    /// Copies the image up to and including its end-of-image marker, segment by segment and scan
    /// by scan (progressive JPEGs have several), dropping descriptive segments. Nothing after the
    /// end of the image is kept: phones append Motion Photo video (with its own GPS track),
    /// second images and thumbnails there. A file cut short inside a scan keeps what arrived and
    /// is closed with an end-of-image marker.
    static func jpeg(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        var out: [UInt8] = [0xFF, 0xD8]
        out.reserveCapacity(bytes.count)
        var index = 2
        while index < bytes.count {
            guard bytes[index] == 0xFF else { throw .malformed("JPEG segment does not start with a marker") }
            var markerIndex = index + 1
            while markerIndex < bytes.count && bytes[markerIndex] == 0xFF { markerIndex += 1 }  // fill bytes
            guard markerIndex < bytes.count else { break }
            let marker = bytes[markerIndex]
            if marker == 0xD9 {  // end of image: whatever follows is not part of it
                out += [0xFF, 0xD9]
                return out
            }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 {  // no length
                out += [0xFF, marker]
                index = markerIndex + 1
                continue
            }
            guard markerIndex + 2 < bytes.count else { throw .malformed("JPEG segment is cut short") }
            let length = Int(bytes[markerIndex + 1]) << 8 | Int(bytes[markerIndex + 2])
            let end = markerIndex + 1 + length
            guard length >= 2, end <= bytes.count else { throw .malformed("JPEG segment length runs past the end") }
            if marker == 0xDA {
                // Start of scan: its header, then entropy-coded data up to the next marker that
                // is neither a stuffed 0xFF (FF 00) nor a restart marker.
                out += bytes[(markerIndex - 1)..<end]
                let scanEnd = entropyCodedEnd(bytes, from: end)
                out += bytes[end..<scanEnd]
                if scanEnd >= bytes.count {
                    out += [0xFF, 0xD9]
                    return out
                }
                index = scanEnd
                continue
            }
            let payload = bytes[(markerIndex + 3)..<end]
            if keepJPEGSegment(marker: marker, payload: payload) { out += bytes[(markerIndex - 1)..<end] }
            index = end
        }
        throw .malformed("JPEG has no image data")
    }

    /// Where a scan's entropy-coded data ends: the index of the 0xFF that starts the next
    /// marker, or the end of the bytes.
    static func entropyCodedEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count {
            guard bytes[index] == 0xFF, index + 1 < bytes.count else {
                index += 1
                continue
            }
            let next = bytes[index + 1]
            if next == 0x00 || (0xD0...0xD7).contains(next) {
                index += 2
            } else if next == 0xFF {
                index += 1  // fill before a marker
            } else {
                return index
            }
        }
        return bytes.count
    }

    /// APP0 (JFIF), APP14 (Adobe colour transform) and an ICC colour profile affect how the
    /// image looks; every other APPn segment and comments only describe it.
    static func keepJPEGSegment(marker: UInt8, payload: ArraySlice<UInt8>) -> Bool {
        switch marker {
        case 0xE0, 0xEE: return true
        case 0xE2: return payload.starts(with: Array("ICC_PROFILE".utf8))
        case 0xE1, 0xE3...0xED, 0xEF, 0xFE: return false
        default: return true
        }
    }

    // MARK: PNG: signature, then length-type-data-CRC chunks from IHDR to IEND.

    static let droppedPNGChunks: Set<String> = ["tEXt", "zTXt", "iTXt", "eXIf", "tIME"]

    static func png(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        var out = Array(bytes[0..<8])
        var index = 8
        var first = true
        while index + 12 <= bytes.count {
            let length = Int(bytes[index]) << 24 | Int(bytes[index + 1]) << 16 | Int(bytes[index + 2]) << 8 | Int(bytes[index + 3])
            let type = String(decoding: bytes[(index + 4)..<(index + 8)], as: UTF8.self)
            let end = index + 12 + length
            guard length >= 0, end <= bytes.count else { throw .malformed("PNG chunk runs past the end") }
            if first && type != "IHDR" { throw .malformed("PNG does not start with IHDR") }
            first = false
            if !droppedPNGChunks.contains(type) { out += bytes[index..<end] }
            index = end
            if type == "IEND" { return out }
        }
        throw .malformed("PNG has no IEND chunk")
    }

    // MARK: WebP: a RIFF container of chunks.

    /// The chunks that make up the picture (and its colour profile); anything else, and anything
    /// past the size the RIFF header declares, is left behind.
    static let keptWebPChunks: Set<String> = ["VP8 ", "VP8L", "VP8X", "ALPH", "ANIM", "ANMF", "ICCP"]

    static func webp(_ bytes: [UInt8]) throws(Failure) -> [UInt8] {
        let declared = Int(bytes[4]) | Int(bytes[5]) << 8 | Int(bytes[6]) << 16 | Int(bytes[7]) << 24
        let limit = min(bytes.count, 8 + declared)
        var chunks: [UInt8] = []
        var index = 12
        var sawImage = false
        while index + 8 <= limit {
            let fourCC = String(decoding: bytes[index..<(index + 4)], as: UTF8.self)
            let size = Int(bytes[index + 4]) | Int(bytes[index + 5]) << 8 | Int(bytes[index + 6]) << 16 | Int(bytes[index + 7]) << 24
            let end = index + 8 + size + (size % 2)  // chunks are padded to an even length
            guard end <= limit || index + 8 + size == limit else { throw .malformed("WebP chunk runs past the end") }
            var chunk = Array(bytes[index..<min(end, limit)])
            if chunk.count % 2 == 1 { chunk.append(0) }
            if fourCC == "VP8X", chunk.count > 8 {
                // Clear the "has EXIF" (0x08) and "has XMP" (0x04) flags of the extended header.
                chunk[8] &= ~UInt8(0x0C)
            }
            if keptWebPChunks.contains(fourCC) {
                if ["VP8 ", "VP8L", "ANIM"].contains(fourCC) { sawImage = true }
                chunks += chunk
            }
            index = end
        }
        guard sawImage else { throw .malformed("WebP has no image data") }
        let riffSize = UInt32(chunks.count + 4)
        return Array("RIFF".utf8) + withUnsafeBytes(of: riffSize.littleEndian, Array.init) + Array("WEBP".utf8) + chunks
    }
}
