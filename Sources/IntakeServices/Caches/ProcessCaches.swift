import Foundation
import IntakeCore
import IntakeStorage

/// The caches one process holds, and what the database's `intake_cache` notifications do to
/// them (see `DispatchListener` and migration 0011's triggers).
public final class ProcessCaches: Sendable {
    /// API keys by prefix; nil for a prefix with no live key.
    public let keys = ProcessCache<String, APIKeyStore.StoredKey?>()
    /// Each council's active categories, with their definitions.
    public let catalogue = ProcessCache<UUID, [Category]>()

    public init() {}

    /// A notification's payload names what changed: `api_keys` or `catalogue`.
    public func changed(_ payload: String) {
        switch payload {
        case "api_keys": keys.invalidate()
        case "catalogue": catalogue.invalidate()
        default:
            keys.invalidate()
            catalogue.invalidate()
        }
    }

    public func listening(_ live: Bool) {
        keys.setLive(live)
        catalogue.setLive(live)
    }
}
