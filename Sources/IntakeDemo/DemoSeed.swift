import Crypto
import Foundation
import IntakeCore
import IntakeStorage
import Logging
import PostgresNIO

/// Demo data for a local install: a fictional two-tier county (Barsetshire, with the districts
/// of Barchester and Plumstead) beside a unitary council (Silverbridge), realistic categories,
/// a pull queue `cases` per council, and fixed demo keys, so the README's curl examples work right after `make run`.
///
/// Running it again changes nothing. The keys are derived from fixed strings, so they are the
/// same on every install: they are for local demos only, and no admin key is among them.
public struct DemoSeed: Sendable {
    public struct Key: Sendable {
        public var role: Role
        public var councilSlug: String?
        public var token: APIKeyToken
    }

    let database: Database
    let logger: Logger

    public init(database: Database, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    struct DemoCouncil {
        var slug: String
        var name: String
        var tier: Council.Tier
        var code: String
        var email: String
        /// Exterior ring, lon/lat, counter-clockwise.
        var ring: [(Double, Double)]
        var categories: [CategoryDefinition]
    }

    /// Creates what is missing and returns the demo keys.
    public func run() async throws -> [Key] {
        let councils = Self.councils
        let logger = self.logger
        let secrets = database.secrets
        return try await database.withTransaction { connection in
            for council in councils {
                let ring = council.ring.map { "[\($0.0), \($0.1)]" }.joined(separator: ", ")
                let geometry = #"{"type": "Polygon", "coordinates": [[\#(ring)]]}"#
                _ = try await connection.query(
                    """
                    INSERT INTO councils (slug, name, tier, code, contact_email, boundary)
                    VALUES (\(council.slug), \(council.name), \(council.tier.rawValue), \(council.code), \(council.email),
                            ST_Multi(ST_SetSRID(ST_GeomFromGeoJSON(\(geometry)), 4326)))
                    ON CONFLICT (slug) DO NOTHING
                    """,
                    logger: logger
                )
                for category in council.categories {
                    let attributes = try CategoryStore.encode(category.attributes)
                    _ = try await connection.query(
                        """
                        INSERT INTO categories (council_id, code, name, description, group_name, keywords, attributes,
                            photo_required, anonymous_allowed, contact_required)
                        SELECT id, \(category.code), \(category.name), \(category.description), \(category.group),
                            \(category.keywords), \(attributes)::jsonb, \(category.photoRequired),
                            \(category.anonymousAllowed), \(category.contactRequired)
                        FROM councils WHERE slug = \(council.slug)
                        ON CONFLICT (council_id, code) DO NOTHING
                        """,
                        logger: logger
                    )
                }
            }
            // Each council's back office reads its cases from a pull queue named `cases`, the
            // default for every category, so a case can be received with curl at once.
            for council in councils {
                _ = try await connection.query(
                    """
                    INSERT INTO destinations (council_id, name, kind, is_default)
                    SELECT id, 'cases', 'pull', NOT EXISTS (SELECT 1 FROM destinations d WHERE d.council_id = councils.id AND d.is_default)
                    FROM councils WHERE slug = \(council.slug)
                    ON CONFLICT (council_id, name) DO NOTHING
                    """,
                    logger: logger
                )
            }
            // Billing councils (districts and unitaries collect council tax) take payments through
            // the sandbox provider; paid intents go to a pull queue `revenues`.
            for (slug, settings) in Self.payments {
                let rule = settings.referenceRule
                let secret = try secrets.seal(Secrets.randomHex(bytes: 32), purpose: PaymentSettingsStore.webhookSecretPurpose)
                _ = try await connection.query(
                    """
                    INSERT INTO council_payment_settings (council_id, provider, webhook_secret, fund_code, max_amount_pence,
                        reference_pattern, reference_check, reference_description, reference_example)
                    SELECT id, \(settings.provider.rawValue), \(secret), \(settings.fundCode),
                        \(settings.maxAmountPence), \(rule.pattern), \(rule.checkScheme.rawValue), \(rule.description), \(rule.example)
                    FROM councils WHERE slug = \(slug)
                    ON CONFLICT (council_id) DO NOTHING
                    """,
                    logger: logger
                )
                _ = try await connection.query(
                    """
                    INSERT INTO destinations (council_id, name, kind, receives_payments)
                    SELECT id, 'revenues', 'pull', NOT EXISTS (SELECT 1 FROM destinations d WHERE d.council_id = councils.id AND d.receives_payments)
                    FROM councils WHERE slug = \(slug)
                    ON CONFLICT (council_id, name) DO NOTHING
                    """,
                    logger: logger
                )
            }
            try await DestinationStore.routeWaitingJobs(councilID: nil, on: connection, logger: logger)
            var keys = [Key(role: .client, councilSlug: nil, token: Self.token("client"))]
            keys += councils.map { Key(role: .backoffice, councilSlug: $0.slug, token: Self.token("backoffice-\($0.slug)")) }
            for key in keys {
                _ = try await connection.query(
                    """
                    INSERT INTO api_keys (prefix, secret_hash, role, council_id, label)
                    VALUES (\(key.token.prefix), \(Data(key.token.secretHash)), \(key.role.rawValue),
                            (SELECT id FROM councils WHERE slug = \(key.councilSlug)), 'demo')
                    ON CONFLICT (prefix) DO NOTHING
                    """,
                    logger: logger
                )
            }
            return keys
        }
    }

    /// Each billing council's own account-reference format (there is no national one).
    static let payments: [(String, PaymentSettings)] = [
        (
            "barchester",
            PaymentSettings(
                provider: .sandbox,
                providerAPIKey: nil,
                webhookSecret: "",
                fundCode: "CTAX",
                maxAmountPence: 10_000_000,
                referenceRule: AccountReferenceRule(
                    pattern: "4[0-9]{6}[0-9X]",
                    checkScheme: .modulus11,
                    description: "8 characters: 4 and six more digits, then a check digit (which may be X)",
                    example: "41234561"
                )
            )
        ),
        (
            "plumstead",
            PaymentSettings(
                provider: .sandbox,
                providerAPIKey: nil,
                webhookSecret: "",
                fundCode: "CT01",
                maxAmountPence: 10_000_000,
                referenceRule: AccountReferenceRule(
                    pattern: "50[0-9]{8}",
                    description: "10 digits starting with 50",
                    example: "5001234567"
                )
            )
        ),
        (
            "silverbridge",
            PaymentSettings(
                provider: .sandbox,
                providerAPIKey: nil,
                webhookSecret: "",
                fundCode: "CTAX-SB",
                maxAmountPence: 5_000_000,
                referenceRule: AccountReferenceRule(pattern: "[0-9]{9}", description: "9 digits", example: "123456789")
            )
        ),
    ]

    /// A key derived from a fixed name: the same on every install.
    static func token(_ name: String) -> APIKeyToken {
        func hex(_ text: String) -> String {
            SHA256.hash(data: Data("civic-intake-demo:\(text)".utf8)).map { String(format: "%02x", $0) }.joined()
        }
        return APIKeyToken(prefix: String(hex("prefix:\(name)").prefix(10)), secret: hex("secret:\(name)"))
    }

    // MARK: The data

    static let councils: [DemoCouncil] = [
        DemoCouncil(
            slug: "barsetshire",
            name: "Barsetshire County Council",
            tier: .county,
            code: "X10000001",
            email: "highways@barsetshire.example",
            ring: [(-2.2, 52.0), (-1.0, 52.0), (-1.0, 52.6), (-2.2, 52.6), (-2.2, 52.0)],
            categories: [Categories.pothole, Categories.streetLighting]
        ),
        DemoCouncil(
            slug: "barchester",
            name: "Barchester City Council",
            tier: .district,
            code: "X07000001",
            email: "streetscene@barchester.example",
            ring: [(-2.2, 52.0), (-1.6, 52.0), (-1.6, 52.6), (-2.2, 52.6), (-2.2, 52.0)],
            categories: [Categories.flyTipping, Categories.graffiti, Categories.missedBin]
        ),
        DemoCouncil(
            slug: "plumstead",
            name: "Plumstead District Council",
            tier: .district,
            code: "X07000002",
            email: "environment@plumstead.example",
            ring: [(-1.6, 52.0), (-1.0, 52.0), (-1.0, 52.6), (-1.6, 52.6), (-1.6, 52.0)],
            categories: [Categories.flyTipping, Categories.graffiti, Categories.missedBin]
        ),
        DemoCouncil(
            slug: "silverbridge",
            name: "Silverbridge Borough Council",
            tier: .unitary,
            code: "X06000001",
            email: "customer.services@silverbridge.example",
            ring: [(-1.0, 52.0), (-0.4, 52.0), (-0.4, 52.6), (-1.0, 52.6), (-1.0, 52.0)],
            categories: [
                Categories.flyTipping, Categories.graffiti, Categories.missedBin, Categories.pothole, Categories.streetLighting,
            ]
        ),
    ]

    enum Categories {
        static let flyTipping = CategoryDefinition(
            code: "fly_tipping",
            name: "Fly-tipping",
            description: "Rubbish dumped illegally on land or roads.",
            group: "Street cleaning",
            keywords: ["dumping", "rubbish", "waste"],
            attributes: [
                CategoryAttribute(
                    code: "waste_type",
                    description: "What has been dumped?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 1,
                    values: [
                        .init(key: "household", name: "Household rubbish"), .init(key: "garden", name: "Garden waste"),
                        .init(key: "builders_rubble", name: "Builders' rubble"),
                        .init(key: "white_goods", name: "Fridges, cookers and other appliances"),
                        .init(key: "tyres", name: "Tyres"), .init(key: "asbestos", name: "Asbestos (do not touch)"),
                        .init(key: "other", name: "Something else"),
                    ]
                ),
                CategoryAttribute(
                    code: "size",
                    description: "How much is there?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 2,
                    values: [
                        .init(key: "single_item", name: "A single item"), .init(key: "car_boot", name: "A car boot load"),
                        .init(key: "small_van", name: "A small van load"), .init(key: "transit_van", name: "A transit van load"),
                        .init(key: "lorry", name: "A lorry load or more"),
                    ]
                ),
            ]
        )
        static let graffiti = CategoryDefinition(
            code: "graffiti",
            name: "Graffiti",
            description: "Graffiti on public property.",
            group: "Street cleaning",
            keywords: ["tagging", "vandalism"],
            attributes: [
                CategoryAttribute(
                    code: "offensive",
                    description: "Is it offensive or racist?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 1,
                    values: [.init(key: "yes", name: "Yes"), .init(key: "no", name: "No")]
                )
            ]
        )
        static let missedBin = CategoryDefinition(
            code: "missed_bin",
            name: "Missed bin collection",
            description: "A bin that was out on time but not emptied.",
            group: "Bins and recycling",
            keywords: ["bin", "collection", "recycling"],
            attributes: [
                CategoryAttribute(
                    code: "bin_type",
                    description: "Which bin was missed?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 1,
                    values: [
                        .init(key: "general", name: "General waste"), .init(key: "recycling", name: "Recycling"),
                        .init(key: "garden", name: "Garden waste"), .init(key: "food", name: "Food waste"),
                    ]
                ),
                CategoryAttribute(code: "collection_date", description: "When should it have been emptied?", datatype: .datetime, order: 2),
            ],
            anonymousAllowed: false,
            contactRequired: true
        )
        static let pothole = CategoryDefinition(
            code: "pothole",
            name: "Pothole",
            description: "A hole or crack in the road or pavement.",
            group: "Roads",
            keywords: ["road", "pavement", "hole"],
            attributes: [
                CategoryAttribute(
                    code: "location_type",
                    description: "Where is it?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 1,
                    values: [
                        .init(key: "road", name: "Road"), .init(key: "pavement", name: "Pavement"),
                        .init(key: "cycle_lane", name: "Cycle lane"),
                    ]
                ),
                CategoryAttribute(code: "depth_cm", description: "Roughly how deep, in centimetres?", datatype: .number, order: 2),
            ],
            photoRequired: true
        )
        static let streetLighting = CategoryDefinition(
            code: "street_lighting",
            name: "Street light not working",
            description: "A street light that is out, flickering or on all day.",
            group: "Roads",
            keywords: ["lamp", "light"],
            attributes: [
                CategoryAttribute(code: "column_number", description: "The number on the lamp post, if you can see it", datatype: .string, order: 1),
                CategoryAttribute(
                    code: "fault",
                    description: "What is wrong?",
                    datatype: .singlevaluelist,
                    required: true,
                    order: 2,
                    values: [
                        .init(key: "out", name: "Not working"), .init(key: "flickering", name: "Flickering"),
                        .init(key: "day_burning", name: "On during the day"), .init(key: "damaged", name: "Damaged column"),
                    ]
                ),
            ]
        )
    }
}
