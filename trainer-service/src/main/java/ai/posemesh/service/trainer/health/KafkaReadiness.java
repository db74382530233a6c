package ai.posemesh.service.trainer.health;

import ai.posemesh.kafka.KafkaProbe;
import ai.posemesh.service.trainer.TrainerRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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
        KafkaProbe kafka = KafkaProbe.ask(runtime.admin());
        boolean up = kafka.answers();
        if (up) {
            r.withData("brokers", kafka.brokers());
        } else {
            r.withData("kafka", kafka.problem());
        }
        if (!runtime.topicsReady()) {
            up = false;
            r.withData("topics", String.valueOf(runtime.topicsError()));
        }
        String reading = runtime.view().notCaughtUpBecause();
        if (reading != null) {
            up = false;
            r.withData("status-view", reading);
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
