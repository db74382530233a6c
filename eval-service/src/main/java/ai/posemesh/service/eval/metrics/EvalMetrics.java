package ai.posemesh.service.eval.metrics;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * eval-service's metrics (Prometheus at /q/metrics): {@code posemesh_eval_evaluations_total{outcome}} (succeeded,
 * failed, duplicate, dead_lettered), {@code posemesh_eval_duration_seconds{trigger}} per finished evaluation,
 * {@code posemesh_eval_consumer_lag} (checkpoint records not yet taken, over this replica's partitions) and
 * {@code posemesh_eval_running} (evaluations in progress here).
 */
@ApplicationScoped
public class EvalMetrics {

    @Inject
    MeterRegistry registry;

    private final AtomicLong lag = new AtomicLong();
    private final AtomicLong running = new AtomicLong();

    @jakarta.annotation.PostConstruct
    void init() {
        registry.gauge("posemesh_eval_consumer_lag", lag);
        registry.gauge("posemesh_eval_running", running);
    }

    public void outcome(String outcome) {
        Counter.builder("posemesh_eval_evaluations_total")
                .description("Evaluations by outcome")
                .tag("outcome", outcome)
                .register(registry)
                .increment();
    }

    public void duration(String trigger, Duration d) {
        Timer.builder("posemesh_eval_duration_seconds")
                .description("Wall time of finished evaluations (base included when it ran)")
                .tag("trigger", trigger)
                .register(registry)
                .record(d);
    }

    public void lag(long records) {
        lag.set(records);
    }

    public void started() {
        running.incrementAndGet();
    }

    public void ended() {
        running.decrementAndGet();
    }
}
