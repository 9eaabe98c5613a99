import Foundation
import HTTPTypes
import HummingbirdTesting
import IntakeCore
import IntakeStorage
import IntakeTestSupport
import NIOCore
import Testing

/// Photos: uploaded, cleaned, served, attached.
@Suite struct MediaTests {
    static func upload(
        _ client: any TestClientProtocol,
        _ auth: HTTPFields,
        _ bytes: [UInt8],
        contentType: String
    ) async throws -> (HTTPResponse.Status, [String: Any]) {
        try await client.execute(
            uri: "/v1/media",
            method: .post,
            headers: auth.merging([.contentType: contentType]),
            body: ByteBuffer(bytes: bytes)
        ) { ($0.status, $0.json) }
    }

    static func contains(_ haystack: ByteBuffer, _ needle: String) -> Bool {
        String(decoding: haystack.readableBytesView, as: UTF8.self).contains(needle)
    }

    @Test func whatAPhoneAppendsAfterThePictureIsNeverServed() async throws {
        try await withApp { client, testDB in
            let auth = try await bearer(testDB, role: .client)
            let motionPhoto = Array("\0\0\0\u{18}ftypmp42\0\0\0\0isommp42 GPS 51.5033N 0.1276W".utf8)
            for (image, type) in [(SampleImages.jpeg, "image/jpeg"), (SampleImages.png, "image/png"), (SampleImages.webp, "image/webp")] {
                let (status, stored) = try await Self.upload(client, auth, image + motionPhoto + image, contentType: type)
                #expect(status == .created, "\(stored)")
                let id = stored["id"] as? String ?? ""
                try await client.execute(uri: "/v1/media/\(id)", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(!Self.contains(response.body, "ftypmp42"), "\(type): the appended video is served")
                    #expect(!Self.contains(response.body, "GPS 51.5033N"))
                    #expect(!Self.contains(response.body, "SecretCam"))
                }
            }
        }
    }

    @Test func anUploadIsRecognisedByItsBytesCleanedAndServedForCaching() async throws {
        try await withApp { client, testDB in
            let auth = try await bearer(testDB, role: .client)
            // Declared as PNG; it is a JPEG.
            let (status, stored) = try await Self.upload(client, auth, SampleImages.jpeg, contentType: "image/png")
            #expect(status == .created, "\(stored)")
            #expect(stored["content_type"] as? String == "image/jpeg")
            let id = stored["id"] as? String ?? ""
            #expect(stored["url"] as? String == "/v1/media/\(id)")

            let etag = try await client.execute(uri: "/v1/media/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "image/jpeg")
                #expect(response.headers[.cacheControl] == "public, max-age=31536000, immutable")
                #expect(response.body.readableBytes == stored["bytes"] as? Int)
                #expect(Array(response.body.readableBytesView.prefix(2)) == [0xFF, 0xD8])
                #expect(!Self.contains(response.body, "SecretCam"), "no EXIF leaves the server")
                #expect(!Self.contains(response.body, "Downing"))
                return response.headers[.eTag] ?? ""
            }
            try await client.execute(uri: "/v1/media/\(id)", method: .get, headers: [.ifNoneMatch: etag]) { response in
                #expect(response.status == .notModified)
                #expect(response.body.readableBytes == 0)
            }
            try await client.execute(uri: "/v1/media/\(UUID())", method: .get) { #expect($0.status == .notFound) }
        }
    }

    @Test func multipartUploadsWork() async throws {
        try await withApp { client, testDB in
            let boundary = "----civic-intake-test"
            var body = ByteBuffer(
                string: "--\(boundary)\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
            )
            body.writeBytes(SampleImages.png)
            body.writeString("\r\n--\(boundary)--\r\n")
            try await client.execute(
                uri: "/v1/media",
                method: .post,
                headers: try await bearer(testDB, role: .client).merging([.contentType: "multipart/form-data; boundary=\(boundary)"]),
                body: body
            ) { response in
                #expect(response.status == .created, "\(response.text)")
                #expect(response.json["content_type"] as? String == "image/png")
            }
        }
    }

    @Test func notImagesAndOversizedImagesAreRefused() async throws {
        try await withApp(configure: { $0.maxMediaBytes = 4096 }) { client, testDB in
            let auth = try await bearer(testDB, role: .client)
            let (notImage, problem) = try await Self.upload(client, auth, Array("<svg onload=alert(1)/>".utf8), contentType: "image/jpeg")
            #expect(notImage == .unprocessableContent)
            #expect(problem["code"] as? String == "not_an_image")
            let big = SampleImages.jpeg + [UInt8](repeating: 0, count: 5000)
            let (tooBig, bigProblem) = try await Self.upload(client, auth, big, contentType: "image/jpeg")
            #expect(tooBig == .contentTooLarge)
            #expect(bigProblem["code"] as? String == "payload_too_large")
            #expect(try await Self.upload(client, [:], SampleImages.png, contentType: "image/png").0 == .unauthorized)
            #expect(try await ReportIntakeTests.count(testDB, "media") == 0)
        }
    }

    @Test func photosAttachToReportsOnceAndOnlyByTheirUploader() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (_, one) = try await Self.upload(client, auth, SampleImages.jpeg, contentType: "image/jpeg")
            let (_, two) = try await Self.upload(client, auth, SampleImages.webp, contentType: "image/webp")
            let ids = [one["id"] as? String ?? "", two["id"] as? String ?? ""]
            let body = ReportIntakeTests.flyTipping.replacingOccurrences(
                of: #""address":"#,
                with: #""photos": ["\#(ids[0])", "\#(ids[1])"], "address":"#
            )
            let (status, created) = try await ReportIntakeTests.post(client, auth, body)
            #expect(status == .created, "\(created)")
            #expect(created["photos"] as? [String] == ids)
            let fetched = try await client.execute(uri: "/v1/reports/\(created["id"] as? String ?? "")", method: .get) { $0.json }
            #expect(fetched["photos"] as? [String] == ids)

            // Already attached.
            let (again, problem) = try await ReportIntakeTests.post(client, auth, body)
            #expect(again == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/photos/0")
            // Another app's photo.
            let (_, foreign) = try await Self.upload(client, try await bearer(testDB, role: .client), SampleImages.png, contentType: "image/png")
            let foreignBody = ReportIntakeTests.flyTipping.replacingOccurrences(
                of: #""address":"#,
                with: #""photos": ["\#(foreign["id"] as? String ?? "")"], "address":"#
            )
            #expect(try await ReportIntakeTests.post(client, auth, foreignBody).0 == .unprocessableContent)
            #expect(try await ReportIntakeTests.count(testDB, "reports") == 1)
        }
    }

    @Test func categoriesThatNeedAPhotoGetOne() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            try await testDB.execute("UPDATE categories SET photo_required = true WHERE code = 'pothole'")
            let auth = try await bearer(testDB, role: .client)
            let pothole = #"{"category": "pothole", "location": {"lat": 51.5, "lon": -2.5}, "description": "Deep hole"}"#
            let (without, problem) = try await ReportIntakeTests.post(client, auth, pothole)
            #expect(without == .unprocessableContent)
            #expect((problem["errors"] as? [[String: Any]])?.first?["pointer"] as? String == "/photos")
            let (_, photo) = try await Self.upload(client, auth, SampleImages.jpeg, contentType: "image/jpeg")
            let withPhoto = pothole.replacingOccurrences(
                of: #""description""#,
                with: #""photos": ["\#(photo["id"] as? String ?? "")"], "description""#
            )
            let (status, created) = try await ReportIntakeTests.post(client, auth, withPhoto)
            #expect(status == .created)
            #expect((created["council"] as? [String: Any])?["slug"] as? String == "shire")
        }
    }

    @Test func theReporterAddsPhotosLater() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (_, created) = try await ReportIntakeTests.post(client, auth, ReportIntakeTests.flyTipping)
            let (_, photo) = try await Self.upload(client, auth, SampleImages.png, contentType: "image/png")
            let photoID = photo["id"] as? String ?? ""
            try await client.execute(
                uri: "/v1/reports/\(created["id"] as? String ?? "")/updates",
                method: .post,
                headers: [.contentType: "application/json", .trackingToken: created["tracking_token"] as? String ?? ""],
                body: ByteBuffer(string: #"{"comment": "A better photo", "photos": ["\#(photoID)"]}"#)
            ) { response in
                #expect(response.status == .created, "\(response.text)")
                let events = response.json["events"] as? [[String: Any]] ?? []
                #expect(events.compactMap { $0["kind"] as? String } == ["comment", "photo_added"])
                #expect(events.last?["photo"] as? String == photoID)
            }
            #expect(try await ReportIntakeTests.count(testDB, "dispatch_jobs WHERE event_type = 'case.updated'") == 1)
        }
    }

    @Test func unattachedPhotosAreDeletedAfterADay() async throws {
        try await withApp { client, testDB in
            try await ReportIntakeTests.setUp(testDB)
            let auth = try await bearer(testDB, role: .client)
            let (_, kept) = try await Self.upload(client, auth, SampleImages.jpeg, contentType: "image/jpeg")
            let body = ReportIntakeTests.flyTipping.replacingOccurrences(
                of: #""address":"#,
                with: #""photos": ["\#(kept["id"] as? String ?? "")"], "address":"#
            )
            _ = try await ReportIntakeTests.post(client, auth, body)
            _ = try await Self.upload(client, auth, SampleImages.png, contentType: "image/png")
            _ = try await Self.upload(client, auth, SampleImages.webp, contentType: "image/webp")
            try await testDB.execute("UPDATE media SET created_at = now() - interval '25 hours'")
            let deleted = try await testDB.withDatabase { database in
                try await MediaStore(database: database, logger: .quiet).pruneUnattached()
            }
            #expect(deleted == 2)
            #expect(try await ReportIntakeTests.count(testDB, "media") == 1)
        }
    }
}

extension HTTPField.Name {
    static let ifNoneMatch = Self("If-None-Match")!
}
