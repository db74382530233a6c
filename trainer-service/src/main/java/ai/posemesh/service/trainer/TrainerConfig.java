package ai.posemesh.service.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import io.smallrye.config.WithName;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;

/** {@code posemesh.trainer.*} in application.properties. */
@ConfigMapping(prefix = "posemesh.trainer")
public interface TrainerConfig {

    Topics topics();

    /** The job topic's consumer group. */
    @WithDefault("posemesh-trainer")
    String groupId();

    /** This replica's name; default: the host name (the pod name on Kubernetes). */
    Optional<String> replicaId();

    /** Where relative base/out paths resolve, and where jobs without out write. */
    Path checkpointRoot();

    /** Where corpus family names resolve. */
    Path dataRoot();

    /** How often a running job writes its progress to the status topic. */
    @WithDefault("5s")
    Duration progressInterval();

    /** The job consumer's max.poll.interval.ms: how long a rebalance may wait for a running job to stop. */
    @WithDefault("15m")
    Duration maxPollInterval();

    Worker worker();

    interface Topics {
        @WithDefault("posemesh.train-jobs.v1")
        String jobs();

        @WithDefault("posemesh.train-job-status.v1")
        String status();

        @WithDefault("posemesh.checkpoints.v1")
        String checkpoints();

        /** Create missing topics at start-up (existing ones are left alone). */
        @WithDefault("true")
        boolean create();

        /** The job topic's partitions: at most this many replicas train at once. */
        @WithDefault("12")
        int jobPartitions();

        @WithDefault("3")
        int statusPartitions();

        @WithDefault("3")
        int checkpointPartitions();

        /** Replication factor of created topics; default: the broker's default.replication.factor. */
        Optional<Short> replicationFactor();
    }

    interface Worker {
        /** Take jobs from the job topic (false: an API-only replica that queues, watches and cancels). */
        @WithName("enabled")
        @WithDefault("true")
        boolean enabled();
    }
}
