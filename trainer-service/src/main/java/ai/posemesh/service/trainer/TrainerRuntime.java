package ai.posemesh.service.trainer;

import ai.posemesh.kafka.KafkaClients;
import ai.posemesh.kafka.ReplicaIds;
import ai.posemesh.kafka.StartupRetry;
import ai.posemesh.service.trainer.jobs.JobStatusView;
import ai.posemesh.service.trainer.jobs.JobWorker;
import ai.posemesh.service.trainer.jobs.ProgressBus;
import ai.posemesh.service.trainer.jobs.TrainerJobs;
import ai.posemesh.service.trainer.kafka.Topics;
import ai.posemesh.service.trainer.kafka.TrainerRecords;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import io.smallrye.common.annotation.Identifier;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.jboss.logging.Logger;

/**
 * Wires the trainer's Kafka plumbing for this replica: the producer, the job status view, the job-queue worker and
 * an admin client (topics, readiness). Topics are created in the background at start-up when missing (retrying
 * while Kafka is unreachable, readiness DOWN and SubmitJob UNAVAILABLE meanwhile); the view and the worker start once
 * they exist.
 */
@ApplicationScoped
public class TrainerRuntime {

    private static final Logger LOG = Logger.getLogger(TrainerRuntime.class);

    @Inject
    TrainerConfig config;

    @Inject
    @Identifier("default-kafka-broker")
    Map<String, Object> kafkaConfig;

    private TrainerSettings settings;
    private Admin admin;
    private TrainerRecords records;
    private JobStatusView view;
    private final ProgressBus bus = new ProgressBus();
    private TrainerJobs jobs;
    private JobWorker worker;
    private volatile boolean topicsReady;
    private volatile String topicsError = "starting";
    private StartupRetry startup;

    void onStart(@Observes StartupEvent ev) {
        TrainerConfig.Topics t = config.topics();
        settings = new TrainerSettings(
                kafkaConfig,
                config.replicaId().orElseGet(() -> ReplicaIds.hostName("trainer")),
                t.jobs(),
                t.status(),
                t.checkpoints(),
                config.groupId(),
                t.jobPartitions(),
                t.statusPartitions(),
                t.checkpointPartitions(),
                t.replicationFactor().orElse((short) -1),
                t.create(),
                config.checkpointRoot(),
                config.dataRoot(),
                config.progressInterval(),
                config.maxPollInterval());
        String client = "posemesh-trainer-" + settings.replicaId();
        admin = KafkaClients.admin(settings.kafka(), client + "-admin");
        records = new TrainerRecords(
                KafkaClients.producer(settings.kafka(), client),
                settings.jobsTopic(),
                settings.statusTopic(),
                settings.checkpointsTopic());
        view = new JobStatusView(settings.kafka(), settings.statusTopic(), client + "-status");
        jobs = new TrainerJobs(settings, records, view);
        worker = config.worker().enabled() ? new JobWorker(settings, view, records, bus) : null;
        LOG.infof(
                "trainer replica %s: kafka %s, checkpoints under %s, data under %s, worker %s",
                settings.replicaId(),
                settings.kafka().get("bootstrap.servers"),
                settings.checkpointRoot(),
                settings.dataRoot(),
                worker != null ? "on" : "off");
        // not on the start-up thread: HTTP (liveness) and gRPC serve while Kafka is still unreachable
        startup = StartupRetry.start("posemesh-trainer-init", Duration.ofSeconds(5), this::ensureTopics);
    }

    private boolean ensureTopics() {
        try {
            if (settings.createTopics()) {
                Topics.ensure(admin, settings);
            }
            topicsReady = true;
            topicsError = null;
            view.start();
            if (worker != null) {
                worker.start();
            }
            return true;
        } catch (Exception e) {
            topicsError = e.toString();
            LOG.warnf("Kafka topics not ready (%s); retrying", topicsError);
            return false;
        }
    }

    void onStop(@Observes ShutdownEvent ev) {
        if (startup != null) {
            startup.close();
        }
        try {
            if (worker != null) {
                worker.close(); // a running job stops after its step and goes back to the queue
            }
            view.close();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        records.close();
        admin.close();
    }

    public TrainerSettings settings() {
        return settings;
    }

    public Admin admin() {
        return admin;
    }

    public JobStatusView view() {
        return view;
    }

    public ProgressBus bus() {
        return bus;
    }

    public TrainerJobs jobs() {
        return jobs;
    }

    /** Null on an API-only replica. */
    public JobWorker worker() {
        return worker;
    }

    public boolean topicsReady() {
        return topicsReady;
    }

    public String topicsError() {
        return topicsError;
    }
}
