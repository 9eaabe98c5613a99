import IntakeCore
import IntakeServices
import IntakeStorage
import Logging
import Prometheus

/// Prometheus gauges for every destination's queue, read from the database when scraped:
/// depth, in flight, age of the oldest job, dead jobs, whether it is disabled, plus jobs no
/// destination takes. A failed read leaves the last values (and the scrape still answers).
struct QueueGauges: Sendable {
    let registry: PrometheusCollectorRegistry
    let dispatch: DispatchService

    // Whole names (no unit suffix added), with the help text a scrape shows. (Computed: the
    // descriptor type is not Sendable.)
    static var depth: MetricNameDescriptor { gauge("intake_dispatch_queue_depth", "Jobs waiting to be delivered or received (due now or later).") }
    static var inFlight: MetricNameDescriptor {
        gauge("intake_dispatch_in_flight", "Jobs leased: being delivered, or received and not yet acknowledged.")
    }
    static var oldestAge: MetricNameDescriptor { gauge("intake_dispatch_oldest_job_age_seconds", "Age of the oldest unfinished job, in seconds.") }
    static var dead: MetricNameDescriptor { gauge("intake_dispatch_dead_jobs", "Jobs that ran out of attempts (dead letters).") }
    static var disabled: MetricNameDescriptor { gauge("intake_dispatch_destination_disabled", "1 while the destination is disabled.") }
    static var unrouted: MetricNameDescriptor { gauge("intake_dispatch_unrouted_jobs", "Jobs no destination takes yet.") }

    static func gauge(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    func refresh() async {
        guard let stats = try? await dispatch.stats(), let unrouted = try? await dispatch.unroutedCount() else { return }
        for queue in stats {
            let labels = [("council", queue.councilSlug), ("destination", queue.name), ("kind", queue.kind.rawValue)]
            registry.makeGauge(descriptor: Self.depth, labels: labels).set(Double(queue.depth))
            registry.makeGauge(descriptor: Self.inFlight, labels: labels).set(Double(queue.inFlight))
            registry.makeGauge(descriptor: Self.oldestAge, labels: labels).set(queue.oldestAgeSeconds)
            registry.makeGauge(descriptor: Self.dead, labels: labels).set(Double(queue.dead))
            registry.makeGauge(descriptor: Self.disabled, labels: labels).set(queue.disabled ? 1.0 : 0.0)
        }
        registry.makeGauge(descriptor: Self.unrouted).set(Double(unrouted))
    }
}
