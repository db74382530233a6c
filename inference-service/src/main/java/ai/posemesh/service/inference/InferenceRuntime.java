package ai.posemesh.service.inference;

import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.registry.ModelRegistry;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import io.quarkus.grpc.runtime.health.GrpcHealthStorage;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.enterprise.inject.Instance;
import jakarta.inject.Inject;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.jboss.logging.Logger;

/**
 * The engine of this replica and the threads it runs on, never the gRPC event loop: {@code control} threads check,
 * tokenize and admit requests (so an over-budget request is refused at once even while every worker is busy) and run
 * load/unload; {@code workers} run prefill and decode. Configured models load in the background after start-up; gRPC
 * health (and with it /q/health/ready) is NOT_SERVING until a model is loaded.
 */
@ApplicationScoped
public class InferenceRuntime {

    private static final Logger LOG = Logger.getLogger(InferenceRuntime.class);
    /** Requests being checked or models being loaded at once; more are refused (RESOURCE_EXHAUSTED). */
    private static final int MAX_CONTROL_THREADS = 64;

    @Inject
    InferenceConfig config;

    @Inject
    Instance<GrpcHealthStorage> health;

    private ModelRegistry registry;
    private InferenceEngine engine;
    private ThreadPoolExecutor workers;
    private ExecutorService control;
    private volatile String startupError;
    private final Set<Cancellation> active = ConcurrentHashMap.newKeySet();

    void onStart(@Observes StartupEvent ev) {
        registry = new ModelRegistry();
        engine = new InferenceEngine(registry, new TokenBudget(config.tokenBudget()), config.prefillChunk());
        int n = config.workers().orElse(Runtime.getRuntime().availableProcessors());
        workers = new ThreadPoolExecutor(
                n, n, 0, TimeUnit.MILLISECONDS, new LinkedBlockingQueue<>(), threads("posemesh-infer"));
        control = new ThreadPoolExecutor(
                0, MAX_CONTROL_THREADS, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), threads("posemesh-control"));
        registry.onChange(this::updateHealth);
        updateHealth(); // the gRPC server marked itself SERVING when it started; no model is loaded yet
        LOG.infof(
                "inference: token budget %d, prefill chunk %d, %d workers",
                config.tokenBudget(), config.prefillChunk(), n);
        config.models().filter(s -> !s.isBlank()).ifPresent(list -> control.execute(() -> loadAtStartup(list)));
    }

    private void loadAtStartup(String list) {
        for (ModelRegistry.ModelSpec s : ModelRegistry.ModelSpec.parseList(list)) {
            try {
                var m = registry.load(s.name(), s.uri(), "");
                LOG.infof("loaded model '%s' from %s (max context %d)", m.name(), m.uri(), m.maxContext());
            } catch (RuntimeException e) {
                startupError = e.getMessage();
                LOG.errorf("cannot load a configured model: %s", e.getMessage());
            }
        }
    }

    /** SERVING for the server and the Inference service once a model is loaded, NOT_SERVING while none is. */
    private void updateHealth() {
        if (health.isResolvable()) {
            ServingStatus s = registry.isEmpty() ? ServingStatus.NOT_SERVING : ServingStatus.SERVING;
            health.get().setStatus(GrpcHealthStorage.DEFAULT_SERVICE_NAME, s);
            health.get().setStatus(InferenceGrpc.SERVICE_NAME, s);
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        active.forEach(Cancellation::cancel); // running requests end after their current chunk or step
        control.shutdownNow();
        workers.shutdown();
        try {
            if (!workers.awaitTermination(10, TimeUnit.SECONDS)) {
                LOG.warn("requests still running at shutdown");
            }
            registry.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public InferenceEngine engine() {
        return engine;
    }

    public ModelRegistry registry() {
        return registry;
    }

    public ExecutorService workers() {
        return workers;
    }

    /** Admitted requests waiting for a worker. */
    public int queuedRequests() {
        return workers == null ? 0 : workers.getQueue().size();
    }

    public ExecutorService control() {
        return control;
    }

    /** Cancellations of the requests in flight, cancelled all at once on shutdown. */
    public Set<Cancellation> active() {
        return active;
    }

    /** The last start-up load failure, or null. */
    public String startupError() {
        return startupError;
    }

    private static ThreadFactory threads(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}
