import Foundation

/// The contract this build was generated from, served at `/openapi.yaml`.
enum OpenAPIDocument {
    static let yaml: Data = EmbeddedOpenAPI.files[0].contents
}
