import Foundation
import IntakeCore
import IntakeTestSupport
import Testing

/// Random, truncated and hostile inputs: the sanitizer never traps, refuses with its own error
/// or answers a well-formed image, and never serves what follows the image's end.
@Suite struct ImageSanitizerFuzzTests {
    /// Reproducible randomness: a failure names its seed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let samples: [(ImageFormat, [UInt8])] = [(.jpeg, SampleImages.jpeg), (.png, SampleImages.png), (.webp, SampleImages.webp)]
    /// What a phone appends after the picture: a Motion Photo MP4 with its own location.
    static let motionPhoto = Array("\0\0\0\u{18}ftypmp42\0\0\0\0isommp42 GPS 51.5033N 0.1276W".utf8)

    static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// The output is a complete image of its format that ends where the format says it ends,
    /// and cleaning it again changes nothing.
    static func expectWellFormed(_ format: ImageFormat, _ clean: [UInt8], _ context: String) {
        #expect(ImageSanitizer.detect(clean) == format, "\(context)")
        switch format {
        case .jpeg:
            #expect(Array(clean.suffix(2)) == [0xFF, 0xD9], "\(context): a JPEG ends with its end-of-image marker")
        case .png:
            #expect(Array(clean.suffix(8).prefix(4)) == Array("IEND".utf8), "\(context): a PNG ends with IEND")
        case .webp:
            let size = Int(clean[4]) | Int(clean[5]) << 8 | Int(clean[6]) << 16 | Int(clean[7]) << 24
            #expect(size == clean.count - 8, "\(context): the RIFF size covers exactly the file")
        }
        let again = try? ImageSanitizer.sanitize(clean)
        #expect(again?.0 == format && again?.1 == clean, "\(context): not stable under a second pass")
    }

    static func check(_ input: [UInt8], _ context: String) {
        do {
            let (format, clean) = try ImageSanitizer.sanitize(input)
            expectWellFormed(format, clean, context)
        } catch {
            // A refusal is fine: the API answers it with a 4xx problem.
        }
    }

    @Test(arguments: samples.map(\.0))
    func whateverFollowsTheImageIsNotKept(format: ImageFormat) throws {
        let image = Self.samples.first { $0.0 == format }!.1
        for tail in [Self.motionPhoto, image, Array(repeating: 0, count: 100) + Self.motionPhoto] {
            let (_, clean) = try ImageSanitizer.sanitize(image + tail)
            #expect(!Self.contains(clean, Array("ftypmp42".utf8)), "\(format): appended video kept")
            #expect(!Self.contains(clean, Array("GPS 51.5033N".utf8)))
            #expect(clean == (try ImageSanitizer.sanitize(image)).1, "\(format): the image is the same with or without a tail")
        }
    }

    @Test func aWebPsDeclaredSizeIsHonouredAndUnknownChunksDropped() throws {
        var image = SampleImages.webp
        // An unknown chunk inside the RIFF (kept out) and a whole chunk after it (never read).
        let hidden = Array("XTRA".utf8) + [8, 0, 0, 0] + Array("hidden!!".utf8)
        image += hidden
        let declared = UInt32(image.count - 8)
        image.replaceSubrange(4..<8, with: withUnsafeBytes(of: declared.littleEndian, Array.init))
        image += Array("EXIF".utf8) + [12, 0, 0, 0] + Array("after RIFF!!".utf8)
        let (_, clean) = try ImageSanitizer.sanitize(image)
        #expect(!Self.contains(clean, Array("hidden!!".utf8)))
        #expect(!Self.contains(clean, Array("after RIFF".utf8)))
        Self.expectWellFormed(.webp, clean, "webp with extra chunks")
    }

    @Test func aJPEGCutShortInsideItsScanIsClosed() throws {
        let sos = SampleImages.jpeg.firstRange(of: [0xFF, 0xDA])!.lowerBound
        let cut = Array(SampleImages.jpeg.prefix(sos + 20))
        let (_, clean) = try ImageSanitizer.sanitize(cut)
        Self.expectWellFormed(.jpeg, clean, "truncated scan")
    }

    @Test func everyTruncationIsRefusedOrWellFormed() {
        for (format, image) in Self.samples {
            for length in 0...image.count { Self.check(Array(image.prefix(length)), "\(format) cut at \(length)") }
        }
    }

    @Test func mutatedImagesNeverTrap() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(state: seed)
        for round in 0..<3000 {
            let (format, original) = Self.samples[round % Self.samples.count]
            var image = original
            for _ in 0..<Int.random(in: 1...8, using: &random) {
                let position = Int.random(in: 0..<image.count, using: &random)
                switch Int.random(in: 0...3, using: &random) {
                case 0: image[position] = UInt8.random(in: 0...255, using: &random)
                case 1: image[position] = [0x00, 0xFF, 0xD9, 0xDA, 0x7F][Int.random(in: 0...4, using: &random)]
                case 2: image.insert(UInt8.random(in: 0...255, using: &random), at: position)
                default: if image.count > 16 { image.remove(at: position) }
                }
            }
            Self.check(image, "\(format) mutation \(round), seed \(seed)")
        }
    }

    @Test func randomBytesNeverTrap() {
        let seed = UInt64.random(in: 0...UInt64.max)
        var random = SplitMix64(state: seed)
        let signatures: [[UInt8]] = [[], [0xFF, 0xD8, 0xFF], [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], Array("RIFF\u{10}\0\0\0WEBP".utf8)]
        for round in 0..<3000 {
            let body = (0..<Int.random(in: 0...300, using: &random)).map { _ in UInt8.random(in: 0...255, using: &random) }
            Self.check(signatures[round % signatures.count] + body, "random \(round), seed \(seed)")
        }
    }
}
