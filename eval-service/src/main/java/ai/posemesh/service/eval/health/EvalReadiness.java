package ai.posemesh.service.eval.health;

import ai.posemesh.kafka.KafkaProbe;
import ai.posemesh.service.eval.EvalRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
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
        KafkaProbe kafka = KafkaProbe.ask(runtime.admin());
        boolean up = kafka.answers();
        if (up) {
            r.withData("brokers", kafka.brokers());
        } else {
            r.withData("kafka", kafka.problem());
        }
        if (!runtime.initialized()) {
            up = false;
            r.withData("init", String.valueOf(runtime.initError()));
        } else {
            String reading = runtime.view().notCaughtUpBecause();
            if (reading != null) {
                up = false;
                r.withData("results-view", reading);
            } else {
                r.withData("results-known", runtime.view().all().size());
            }
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
