package ai.posemesh.service.inference.metrics;

import ai.posemesh.serve.generate.GenerationResult;
import ai.posemesh.service.inference.InferenceRuntime;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;

/**
 * The service's own metrics, recorded the same way for gRPC and HTTP (Prometheus at {@code /q/metrics}):
 * <ul>
 *   <li>{@code posemesh_inference_requests_total{protocol,endpoint,status}}: every request when it ends (status: the
 *       gRPC code name, or the HTTP status; 499 for an HTTP client that went away);
 *   <li>{@code posemesh_inference_errors_total{protocol,endpoint,reason}}: the failed ones by engine reason
 *       (CONTEXT_LENGTH_EXCEEDED, TOKEN_BUDGET_EXHAUSTED, …; INTERNAL, CANCELLED otherwise);
 *   <li>{@code posemesh_inference_prompt_tokens{kind,model}}: prompt (or Score input) length of each admitted request,
 *       buckets at the powers of two from 16 to 131072;
 *   <li>{@code posemesh_inference_time_to_first_token_seconds}, {@code posemesh_inference_prefill_tokens_per_second},
 *       {@code posemesh_inference_decode_tokens_per_second}, {@code posemesh_inference_tokens_generated_total}
 *       per model, from each generation's final result;
 *   <li>gauges: {@code posemesh_inference_streams_active} (requests in flight), {@code
 *       posemesh_inference_requests_queued} (admitted, waiting for a worker), {@code
 *       posemesh_inference_budget_reserved_tokens} / {@code posemesh_inference_budget_capacity_tokens} (the token
 *       budget), {@code posemesh_inference_models_loaded}.
 * </ul>
 */
@ApplicationScoped
public class InferenceMetrics {

    public static final String GRPC = "grpc";
    public static final String HTTP = "http";

    private static final double[] PROMPT_BUCKETS = powersOfTwo(16, 131072);
    private static final double[] RATE_BUCKETS = {1, 10, 100, 1_000, 10_000, 100_000, 1_000_000};
    private static final Duration[] TTFT_BUCKETS = {
        Duration.ofMillis(10),
        Duration.ofMillis(25),
        Duration.ofMillis(50),
        Duration.ofMillis(100),
        Duration.ofMillis(250),
        Duration.ofMillis(500),
        Duration.ofSeconds(1),
        Duration.ofMillis(2500),
        Duration.ofSeconds(5),
        Duration.ofSeconds(10),
        Duration.ofSeconds(30),
        Duration.ofSeconds(60),
        Duration.ofSeconds(120),
        Duration.ofSeconds(300)
    };

    @Inject
    MeterRegistry registry;

    @Inject
    InferenceRuntime runtime;

    void onStart(@Observes StartupEvent ev) {
        gauge(
                "posemesh.inference.streams.active",
                "requests in flight (gRPC streams, HTTP completions)",
                r -> r.active().size());
        gauge(
                "posemesh.inference.requests.queued",
                "admitted requests waiting for a worker",
                InferenceRuntime::queuedRequests);
        gauge(
                "posemesh.inference.budget.reserved.tokens",
                "tokens reserved by admitted requests (queued or running)",
                r -> r.engine() == null ? 0 : r.engine().budget().inUse());
        gauge(
                "posemesh.inference.budget.capacity.tokens",
                "the token budget",
                r -> r.engine() == null ? 0 : r.engine().budget().capacity());
        gauge(
                "posemesh.inference.models.loaded",
                "models loaded",
                r -> r.registry() == null ? 0 : r.registry().list().size());
    }

    private void gauge(String name, String description, ToDoubleFunction<InferenceRuntime> f) {
        Gauge.builder(name, runtime, f)
                .description(description)
                .strongReference(true)
                .register(registry);
    }

    /**
     * One request ended.
     *
     * @param status the gRPC code name or the HTTP status
     * @param errorReason null for a success; otherwise the engine's reason (or INTERNAL, CANCELLED, …)
     */
    public void request(String protocol, String endpoint, String status, String errorReason) {
        Counter.builder("posemesh.inference.requests")
                .description("requests by protocol, endpoint and status")
                .tags("protocol", protocol, "endpoint", endpoint, "status", status)
                .register(registry)
                .increment();
        if (errorReason != null) {
            Counter.builder("posemesh.inference.errors")
                    .description("failed requests by engine reason")
                    .tags("protocol", protocol, "endpoint", endpoint, "reason", errorReason)
                    .register(registry)
                    .increment();
        }
    }

    /** A request was admitted and starts: its prompt ({@code kind} generate) or Score input ({@code kind} score). */
    public void admitted(String kind, String model, int promptTokens) {
        DistributionSummary.builder("posemesh.inference.prompt.tokens")
                .description("prompt length in tokens")
                .serviceLevelObjectives(PROMPT_BUCKETS)
                .tags("kind", kind, "model", model)
                .register(registry)
                .record(promptTokens);
    }

    /** A generation ended (any reason): time to first token and speeds, when it got that far. */
    public void generation(String model, GenerationResult r) {
        if (r.generatedTokens() > 0) {
            Timer.builder("posemesh.inference.time.to.first.token")
                    .description("from admission to the first generated token")
                    .serviceLevelObjectives(TTFT_BUCKETS)
                    .tags("model", model)
                    .register(registry)
                    .record((long) (r.timeToFirstTokenMs() * 1e6), TimeUnit.NANOSECONDS);
            Counter.builder("posemesh.inference.tokens.generated")
                    .tags("model", model)
                    .register(registry)
                    .increment(r.generatedTokens());
        }
        if (r.prefillTokensPerSecond() > 0) {
            rate(
                    "posemesh.inference.prefill.tokens.per.second",
                    "prompt tokens per second of prefill",
                    model,
                    r.prefillTokensPerSecond());
        }
        if (r.decodeTokensPerSecond() > 0) {
            rate(
                    "posemesh.inference.decode.tokens.per.second",
                    "generated tokens per second after the first",
                    model,
                    r.decodeTokensPerSecond());
        }
    }

    private void rate(String name, String description, String model, double value) {
        DistributionSummary.builder(name)
                .description(description)
                .serviceLevelObjectives(RATE_BUCKETS)
                .tags("model", model)
                .register(registry)
                .record(value);
    }

    static double[] powersOfTwo(int from, int to) {
        int n = Integer.numberOfTrailingZeros(to) - Integer.numberOfTrailingZeros(from) + 1;
        double[] b = new double[n];
        for (int i = 0; i < n; i++) {
            b[i] = (double) from * (1L << i);
        }
        return b;
    }
}
