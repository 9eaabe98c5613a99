import Foundation
import IntakeCore
import IntakeStorage

/// Imports council boundaries from a GeoJSON FeatureCollection as ONS and OS Boundary-Line
/// publish them: one feature per council, a property naming it and optionally one coding it.
///
/// Each feature is checked and written in its own transaction, so one broken feature is
/// reported and skipped without losing the rest. A council is matched by its code when a code
/// property is given, else by the slug made from its name; a match has its boundary replaced
/// in place, anything else becomes a new council of the given tier.
public struct BoundaryImporter: Sendable {
    public struct Options: Sendable {
        public var nameProperty: String
        public var codeProperty: String?
        /// The tier of councils the import creates.
        public var tier: Council.Tier

        public init(nameProperty: String, codeProperty: String?, tier: Council.Tier) {
            self.nameProperty = nameProperty
            self.codeProperty = codeProperty
            self.tier = tier
        }
    }

    public struct FeatureOutcome: Sendable, Equatable {
        public enum Result: Sendable, Equatable {
            case created(slug: String)
            case updated(slug: String)
            case failed(reason: String)
        }

        /// 1-based position in the collection.
        public var index: Int
        public var name: String?
        public var result: Result
        public var warnings: [String]
        public var vertices: Int
    }

    public struct ImportError: Error, CustomStringConvertible {
        public var description: String
    }

    let boundaries: BoundaryStore
    let caches: ProcessCaches

    /// `progress(done, total)` is called after each feature.
    public func importCollection(
        _ data: Data,
        options: Options,
        progress: @Sendable (Int, Int) -> Void = { _, _ in }
    ) async throws -> [FeatureOutcome] {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw ImportError(description: "the file is not a JSON object")
        }
        guard root["type"] as? String == "FeatureCollection", let features = root["features"] as? [Any] else {
            throw ImportError(description: "expected a GeoJSON FeatureCollection with a features array")
        }
        var outcomes: [FeatureOutcome] = []
        for (offset, feature) in features.enumerated() {
            outcomes.append(try await importFeature(feature, index: offset + 1, options: options))
            progress(offset + 1, features.count)
        }
        return outcomes
    }

    private func importFeature(_ feature: Any, index: Int, options: Options) async throws -> FeatureOutcome {
        func failed(_ reason: String, name: String? = nil) -> FeatureOutcome {
            FeatureOutcome(index: index, name: name, result: .failed(reason: reason), warnings: [], vertices: 0)
        }
        guard let feature = feature as? [String: Any], feature["type"] as? String == "Feature" else {
            return failed("not a GeoJSON Feature")
        }
        let properties = feature["properties"] as? [String: Any] ?? [:]
        guard let name = (properties[options.nameProperty] as? String)?.trimmingCharacters(in: .whitespaces),
            !name.isEmpty
        else {
            return failed("has no '\(options.nameProperty)' property to name the council")
        }
        var code: String?
        if let codeProperty = options.codeProperty {
            guard let value = properties[codeProperty] as? String, NewCouncil.isValidCode(value) else {
                return failed("has no usable '\(codeProperty)' code property", name: name)
            }
            code = value
        }
        guard let geometry = feature["geometry"] as? [String: Any] else {
            return failed("has no geometry (empty geometry)", name: name)
        }
        let geometryJSON = String(decoding: try JSONSerialization.data(withJSONObject: geometry), as: UTF8.self)
        let slug = NewCouncil.slug(fromName: name)
        guard NewCouncil.isValidSlug(slug) else { return failed("its name gives no usable slug", name: name) }

        do {
            let (imported, checked) = try await boundaries.importBoundary(
                name: name,
                slug: slug,
                code: code,
                tier: options.tier,
                geometryJSON: geometryJSON
            )
            caches.changed("catalogue")
            let result: FeatureOutcome.Result =
                switch imported {
                case .created(let slug): .created(slug: slug)
                case .updated(let slug): .updated(slug: slug)
                }
            return FeatureOutcome(index: index, name: name, result: result, warnings: checked.warnings, vertices: checked.vertices)
        } catch let invalid as BoundaryStore.Invalid {
            return failed(invalid.reason, name: name)
        } catch is BoundaryStore.SlugTaken {
            return failed("another council already has the slug '\(slug)'", name: name)
        }
    }
}
