import IntakeCore
import IntakeStorage
import Logging
import Prometheus

/// Prometheus gauges for every destination's queue, read from the database when scraped:
/// depth, in flight, age of the oldest job, dead jobs, whether it is disabled, plus jobs no
/// destination takes. A failed read leaves the last values (and the scrape still answers).
struct QueueGauges: Sendable {
    let registry: PrometheusCollectorRegistry
    let destinations: DestinationStore

    func refresh() async {
        guard let stats = try? await destinations.stats(), let unrouted = try? await destinations.unroutedCount() else { return }
        for queue in stats {
            let labels = [("council", queue.councilSlug), ("destination", queue.name), ("kind", queue.kind.rawValue)]
            registry.makeGauge(name: "intake_dispatch_queue_depth", labels: labels).set(Double(queue.depth))
            registry.makeGauge(name: "intake_dispatch_in_flight", labels: labels).set(Double(queue.inFlight))
            registry.makeGauge(name: "intake_dispatch_oldest_job_age_seconds", labels: labels).set(queue.oldestAgeSeconds)
            registry.makeGauge(name: "intake_dispatch_dead_jobs", labels: labels).set(Double(queue.dead))
            registry.makeGauge(name: "intake_dispatch_destination_disabled", labels: labels).set(queue.disabled ? 1.0 : 0.0)
        }
        registry.makeGauge(name: "intake_dispatch_unrouted_jobs").set(Double(unrouted))
    }
}
