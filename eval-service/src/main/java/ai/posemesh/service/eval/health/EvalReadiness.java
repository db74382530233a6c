package ai.posemesh.service.eval.health;

import ai.posemesh.service.eval.EvalRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when Kafka answers (within 3 s), the suite defaults and topics are set up, the results view has read its
 * topic, the checkpoint worker runs, and the inference service answers (ListModels within 3 s).
 */
@Readiness
@ApplicationScoped
public class EvalReadiness implements HealthCheck {

    @Inject
    EvalRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("posemesh-eval");
        boolean up = true;
        try {
            int nodes = runtime.admin()
                    .describeCluster(new DescribeClusterOptions().timeoutMs(3000))
                    .nodes()
                    .get(4, TimeUnit.SECONDS)
                    .size();
            r.withData("brokers", nodes);
        } catch (Exception e) {
            up = false;
            r.withData("kafka", "unreachable: " + e);
        }
        if (!runtime.initialized()) {
            up = false;
            r.withData("init", String.valueOf(runtime.initError()));
        } else if (!runtime.view().isCaughtUp()) {
            up = false;
            r.withData(
                    "results-view",
                    runtime.view().lastError() == null
                            ? "reading"
                            : runtime.view().lastError());
        } else {
            r.withData("results-known", runtime.view().all().size());
        }
        if (runtime.initialized()
                && runtime.worker() != null
                && !runtime.worker().isAlive()) {
            up = false;
            r.withData("worker", "not running");
        }
        if (runtime.inference().answers()) {
            r.withData("inference", runtime.inference().endpoint());
        } else {
            up = false;
            r.withData("inference", runtime.inference().endpoint() + " does not answer");
        }
        r.withData("replica", runtime.settings().replicaId());
        return r.status(up).build();
    }
}
