package ai.posemesh.service.trainer.health;

import ai.posemesh.service.trainer.TrainerRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/**
 * Ready when Kafka answers (within 3 s), the topics exist, the job status view has read the status topic and the job
 * worker runs.
 */
@Readiness
@ApplicationScoped
public class KafkaReadiness implements HealthCheck {

    @Inject
    TrainerRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder r = HealthCheckResponse.named("posemesh-trainer kafka");
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
        if (!runtime.topicsReady()) {
            up = false;
            r.withData("topics", String.valueOf(runtime.topicsError()));
        }
        if (!runtime.view().isCaughtUp()) {
            up = false;
            r.withData(
                    "status-view",
                    runtime.view().lastError() == null
                            ? "reading"
                            : runtime.view().lastError());
        } else {
            r.withData("jobs-known", runtime.view().all().size());
        }
        if (runtime.worker() != null) {
            if (!runtime.worker().isAlive()) {
                up = false;
                r.withData("worker", "not running");
            } else {
                String job = runtime.worker().currentJob();
                r.withData("running-job", job == null ? "none" : job);
            }
        }
        r.withData("replica", runtime.settings().replicaId());
        return r.status(up).build();
    }
}
