import Foundation
import IntakeAPI
import IntakeCore
import IntakeProblems
import IntakeServices
import IntakeStorage
import OpenAPIRuntime

extension APIService {
    func uploadMedia(_ input: Operations.UploadMedia.Input) async throws -> Operations.UploadMedia.Output {
        let principal = try await auth.require([.client])
        let limit = config.maxMediaBytes
        let bytes: [UInt8]
        switch input.body {
        case .jpeg(let body), .png(let body), .imageWebp(let body), .binary(let body):
            bytes = try await Self.collect(body, limit: limit)
        case .multipartForm(let parts):
            var found: [UInt8]?
            do {
                // Every part's body is read (the parts are one stream), the first file's kept.
                for try await part in parts {
                    switch part {
                    case .file(let file):
                        let content = try await Self.collect(file.payload.body, limit: limit)
                        if found == nil { found = content }
                    case .undocumented(let other):
                        _ = try await Self.collect(other.body, limit: limit)
                    }
                }
            } catch let error as APIError {
                throw error
            } catch {
                throw APIError.badRequest(
                    "The multipart body is malformed: each part needs its headers, and the body its closing boundary.",
                    code: "malformed_multipart"
                )
            }
            guard let found else {
                throw APIError.validation([FieldError(pointer: "/file", detail: "is required: the image part", code: "required")])
            }
            bytes = found
        }
        let format: ImageFormat
        let clean: [UInt8]
        do {
            (format, clean) = try ImageSanitizer.sanitize(bytes)
        } catch .notAnImage {
            throw APIError(
                status: 422,
                code: "not_an_image",
                title: "Not an image",
                detail: "The upload is not a JPEG, PNG or WebP image (recognised by its bytes, not its declared type).",
                fieldErrors: [FieldError(pointer: "/file", detail: "is not a JPEG, PNG or WebP image", code: "not_an_image")]
            )
        } catch .malformed(let reason) {
            throw APIError(
                status: 422,
                code: "not_an_image",
                title: "Not an image",
                detail: "The image is damaged: \(reason).",
                fieldErrors: [FieldError(pointer: "/file", detail: "is a damaged image", code: "not_an_image")]
            )
        }
        let stored = try await media.store(clean, format: format, clientKeyID: principal.keyID)
        let id = stored.id.uuidString.lowercased()
        return .created(
            .init(
                body: .json(
                    .init(
                        id: id,
                        contentType: .init(rawValue: format.contentType)!,
                        bytes: stored.byteSize,
                        url: "/v1/media/\(id)"
                    )
                )
            )
        )
    }

    func getMedia(_ input: Operations.GetMedia.Input) async throws -> Operations.GetMedia.Output {
        guard let id = UUID(uuidString: input.path.id), let found = try await media.fetch(id: id) else {
            throw APIError.notFound("No photo has the id '\(input.path.id)'.")
        }
        if let ifNoneMatch = input.headers.ifNoneMatch,
            ifNoneMatch.split(separator: ",").contains(where: { $0.trimmingCharacters(in: .whitespaces) == found.etag })
        {
            RequestScope.current?.responseHeaders.set("ETag", found.etag)
            return .notModified(.init())
        }
        // A photo never changes once stored, so it may be cached for good.
        RequestScope.current?.responseHeaders.set("ETag", found.etag)
        RequestScope.current?.responseHeaders.set("Cache-Control", "public, max-age=31536000, immutable")
        let body = HTTPBody(found.bytes)
        switch found.contentType {
        case ImageFormat.png.contentType: return .ok(.init(body: .png(body)))
        case ImageFormat.webp.contentType: return .ok(.init(body: .imageWebp(body)))
        default: return .ok(.init(body: .jpeg(body)))
        }
    }

    /// Reads an upload, refusing it with 413 as soon as it passes the limit.
    static func collect(_ body: HTTPBody, limit: Int) async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for try await chunk in body {
            guard bytes.count + chunk.count <= limit else { throw APIError.payloadTooLarge(limit: limit) }
            bytes += chunk
        }
        return bytes
    }
}
