import Foundation
import IntakeCore
import IntakeTestSupport
import Testing

@Suite struct ImageSanitizerTests {
    static let secrets = ["SecretCam", "Downing Street", "Location", "secret itxt", "Exif"]

    func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let bytes = Array(needle.utf8)
        guard haystack.count >= bytes.count else { return false }
        return (0...(haystack.count - bytes.count)).contains { haystack[$0..<($0 + bytes.count)].elementsEqual(bytes) }
    }

    @Test(arguments: [(SampleImages.jpeg, ImageFormat.jpeg), (SampleImages.png, .png), (SampleImages.webp, .webp)])
    func metadataIsStrippedAndThePixelsKept(image: [UInt8], format: ImageFormat) throws {
        #expect(contains(image, "SecretCam"), "the sample carries metadata to strip")
        let (detected, clean) = try ImageSanitizer.sanitize(image)
        #expect(detected == format)
        for secret in Self.secrets { #expect(!contains(clean, secret), "\(secret) survived in \(format)") }
        #expect(clean.count < image.count)
        #expect(ImageSanitizer.detect(clean) == format)
        // Sanitizing again changes nothing: the output is already clean and well formed.
        #expect(try ImageSanitizer.sanitize(clean).1 == clean)
        if let folder = ProcessInfo.processInfo.environment["INTAKE_DUMP_IMAGES"] {
            try Data(clean).write(to: URL(fileURLWithPath: folder).appendingPathComponent("clean.\(format)"))
        }
    }

    @Test func theJPEGKeepsItsStructure() throws {
        let clean = try ImageSanitizer.sanitize(SampleImages.jpeg).1
        #expect(clean.starts(with: [0xFF, 0xD8, 0xFF, 0xE0]), "JFIF header kept")
        #expect(Array(clean.suffix(2)) == [0xFF, 0xD9])
        // Everything from the start of scan on is byte-for-byte the original.
        let sos = SampleImages.jpeg.firstRange(of: [0xFF, 0xDA])!
        let cleanSOS = clean.firstRange(of: [0xFF, 0xDA])!
        #expect(Array(clean[cleanSOS.lowerBound...]) == Array(SampleImages.jpeg[sos.lowerBound...]))
    }

    @Test func theWebPHeaderNoLongerClaimsMetadata() throws {
        let clean = try ImageSanitizer.sanitize(SampleImages.webp).1
        let size = Int(clean[4]) | Int(clean[5]) << 8 | Int(clean[6]) << 16 | Int(clean[7]) << 24
        #expect(size == clean.count - 8)
        #expect(Array(clean[12..<16]) == Array("VP8X".utf8))
        #expect(clean[20] & 0x0C == 0)
    }

    @Test func declaredTypesAreIgnoredAndNonImagesRefused() {
        #expect(ImageSanitizer.detect(Array("<svg xmlns='http://www.w3.org/2000/svg'/>".utf8)) == nil)
        #expect(ImageSanitizer.detect(Array("GIF89a".utf8)) == nil)
        #expect(throws: ImageSanitizer.Failure.notAnImage) { try ImageSanitizer.sanitize(Array("%PDF-1.7".utf8)) }
        #expect(throws: ImageSanitizer.Failure.self) { try ImageSanitizer.sanitize(Array(SampleImages.jpeg.prefix(40))) }
        #expect(throws: ImageSanitizer.Failure.self) { try ImageSanitizer.sanitize(Array(SampleImages.png.prefix(30))) }
        #expect(throws: ImageSanitizer.Failure.self) { try ImageSanitizer.sanitize(Array(SampleImages.webp.prefix(20))) }
    }
}
