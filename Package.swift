// swift-tools-version:6.2
import PackageDescription

let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "civic-intake",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "intake", targets: ["intake"])
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-openapi-hummingbird.git", from: "2.1.0"),
        .package(url: "https://github.com/apple/swift-openapi-generator.git", from: "1.14.3"),
        .package(url: "https://github.com/apple/swift-openapi-runtime.git", from: "1.13.4"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-crypto.git", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        // Staff passwords (bcrypt) and the console's templates.
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        // Tests only: the Chrome DevTools Protocol client that drives headless Chromium.
        .package(url: "https://github.com/hummingbird-project/swift-websocket.git", from: "1.6.2"),
    ],
    targets: [
        // The layers, lowest first; each feature (Councils, Catalogue, Reports, Media, Dispatch,
        // Payments, Open311, Access) is a folder of the same name in each layer it needs. A target
        // may import only the layers below it (scripts/check-layers.sh, run by `make test`).

        // Domain: types, rules and configuration. No I/O.
        .target(
            name: "IntakeCore",
            dependencies: [.product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: swiftSettings
        ),
        // Storage: the connection pool, migrations and the SQL each feature runs. Its own errors.
        .target(
            name: "IntakeStorage",
            dependencies: [
                "IntakeCore",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: swiftSettings,
            plugins: ["EmbedFiles"]
        ),
        // Clients: outbound HTTP (GOV.UK Pay, webhook and Open311 deliveries) and the address
        // guard they connect through. Beside storage, not above it: neither imports the other.
        .target(
            name: "IntakeClients",
            dependencies: [
                "IntakeCore",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Services: the use cases (intake, payments, dispatch passes, housekeeping, the worker
        // loop) and the one value that wires a process's stores, clients and services
        // (`AppServices`). The only callers of clients; they throw their own errors, which the
        // surfaces translate.
        .target(
            name: "IntakeServices",
            dependencies: [
                "IntakeCore", "IntakeStorage", "IntakeClients",
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),
        // Problems: the errors both surfaces answer with (RFC 9457 problems in the REST API,
        // turned into Open311 errors by the facade), built from the domain's and the services'.
        .target(
            name: "IntakeProblems",
            dependencies: ["IntakeCore"],
            swiftSettings: swiftSettings
        ),
        // Types and server stubs generated from OpenAPI/openapi.yaml (symlinked here).
        .target(
            name: "IntakeAPI",
            dependencies: [
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime")
            ],
            // Generated code only: its `package import`s warn on Swift 6.3 (the generator's own
            // `@diagnose(UnusedImportAccess, as: ignored)` applies from 6.4 on).
            swiftSettings: [.unsafeFlags(["-suppress-warnings"])],
            plugins: [.plugin(name: "OpenAPIGenerator", package: "swift-openapi-generator")]
        ),
        // Surface: the Open311 GeoReport v2 facade (XML and JSON), for FixMyStreet and other
        // Open311 clients.
        .target(
            name: "IntakeOpen311",
            dependencies: [
                "IntakeCore",
                "IntakeProblems",
                "IntakeStorage",
                "IntakeServices",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: swiftSettings
        ),
        // Surface: the REST API (implements the generated protocol; middleware, problems), the
        // payment providers' routes, and the application that mounts the Open311 facade beside it.
        .target(
            name: "IntakeHTTP",
            dependencies: [
                "IntakeCore",
                "IntakeProblems",
                "IntakeStorage",
                "IntakeClients",
                "IntakeServices",
                "IntakeAPI",
                "IntakeOpen311",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "OpenAPIRuntime", package: "swift-openapi-runtime"),
                .product(name: "OpenAPIHummingbird", package: "swift-openapi-hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: swiftSettings,
            // The contract is served at /openapi.yaml from a copy built into the binary.
            plugins: ["EmbedFiles"]
        ),
        // The demo councils, keys and destinations of `intake seed-demo` (and of tests): kept out
        // of the production layers.
        .target(
            name: "IntakeDemo",
            dependencies: [
                "IntakeCore", "IntakeStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: swiftSettings
        ),
        // The one binary: `intake serve | worker | dev | migrate | …`, thin commands over
        // `AppServices` and the surfaces' build functions.
        .executableTarget(
            name: "intake",
            dependencies: [
                "IntakeCore",
                "IntakeStorage",
                "IntakeServices",
                "IntakeHTTP",
                "IntakeDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: swiftSettings
        ),

        // `make bench`: a local webhook receiver that counts (and verifies) deliveries.
        .executableTarget(
            name: "webhook-sink",
            dependencies: [
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            path: "Sources/webhook-sink"
        ),

        // Build-time helper: embeds Migrations/*.sql and OpenAPI/openapi.yaml into the binary.
        .executableTarget(name: "embed-files", path: "Sources/embed-files"),
        .plugin(name: "EmbedFiles", capability: .buildTool(), dependencies: ["embed-files"]),

        // Shared test helpers: a fresh database per test, cloned from a migrated template.
        .target(
            name: "IntakeTestSupport",
            dependencies: [
                "IntakeCore",
                "IntakeStorage",
                "IntakeServices",
                "IntakeDemo",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                // Headless Chromium over the DevTools protocol (the browser tests).
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            path: "Tests/IntakeTestSupport",
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "IntakeCoreTests",
            dependencies: ["IntakeCore", "IntakeProblems", "IntakeTestSupport"]
        ),
        .testTarget(
            name: "IntakeServicesTests",
            dependencies: ["IntakeServices", "IntakeStorage", "IntakeCore", "IntakeTestSupport"]
        ),
        .testTarget(
            name: "IntakeStorageTests",
            dependencies: ["IntakeCore", "IntakeStorage", "IntakeServices", "IntakeTestSupport"]
        ),
        .testTarget(
            name: "IntakeWorkerTests",
            dependencies: [
                "IntakeCore", "IntakeStorage", "IntakeClients", "IntakeServices", "IntakeHTTP", "IntakeTestSupport",
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "IntakeHTTPTests",
            dependencies: [
                "IntakeCore", "IntakeProblems", "IntakeStorage", "IntakeServices", "IntakeHTTP",
                "IntakeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
            ]
        ),
        .testTarget(
            name: "IntakePaymentsTests",
            dependencies: [
                "IntakeCore", "IntakeStorage", "IntakeClients", "IntakeServices", "IntakeHTTP", "IntakeTestSupport",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "WSClient", package: "swift-websocket"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "IntakeCommandTests",
            dependencies: [
                "IntakeCore",
                "IntakeStorage",
                "IntakeTestSupport",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
            ]
        ),
    ]
)
