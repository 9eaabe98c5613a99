import Foundation
import IntakeCore
import IntakeStorage

/// Photos: stored once cleaned (the surfaces clean them with `ImageSanitizer` before this), read
/// back by id.
public struct MediaService: Sendable {
    let media: MediaStore

    public func store(_ bytes: [UInt8], format: ImageFormat, clientKeyID: UUID) async throws -> MediaStore.Stored {
        try await media.store(bytes, format: format, clientKeyID: clientKeyID)
    }

    public func fetch(id: UUID) async throws -> MediaStore.Fetched? { try await media.fetch(id: id) }
}
