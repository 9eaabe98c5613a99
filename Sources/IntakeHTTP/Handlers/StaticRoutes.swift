import Foundation
import HTTPTypes
import Hummingbird
import IntakeCore
import IntakeServices
import Prometheus

/// Routes outside the generated JSON API: the contract itself and the metrics.
enum StaticRoutes {
    static func register(
        on router: Router<IntakeRequestContext>,
        routes: RouteTable,
        metrics: PrometheusCollectorRegistry,
        metricsAuth: Authenticator,
        queueGauges: QueueGauges
    ) {
        let spec = OpenAPIDocument.yaml
        router.get("/openapi.yaml") { _, _ in
            Response(
                status: .ok,
                headers: [.contentType: "application/yaml; charset=utf-8", .cacheControl: "public, max-age=300"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: spec))
            )
        }
        routes.add(method: .get, path: "/openapi.yaml")
        registerMetrics(on: router, routes: routes, metrics: metrics, auth: metricsAuth, queueGauges: queueGauges)
    }

    /// `/metrics` names councils and destinations: on the API's port it needs an admin key; a
    /// metrics-only listener (`METRICS_PORT`, `WORKER_METRICS_PORT`) serves it without one.
    static func registerMetrics(
        on router: Router<IntakeRequestContext>,
        routes: RouteTable,
        metrics: PrometheusCollectorRegistry,
        auth: Authenticator?,
        queueGauges: QueueGauges
    ) {
        router.get("/metrics") { _, _ in
            if let auth { _ = try await auth.require([.admin]) }
            // Queue figures live in the database, so any process can report them at scrape time.
            await queueGauges.refresh()
            var buffer: [UInt8] = []
            buffer.reserveCapacity(16 * 1024)
            metrics.emit(into: &buffer)
            return Response(
                status: .ok,
                headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(bytes: buffer))
            )
        }
        routes.add(method: .get, path: "/metrics")
    }
}
