package ai.posemesh.service.trainer;

import ai.posemesh.kafka.KafkaClients;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything the trainer's Kafka plumbing needs, as a plain value: built from {@link TrainerConfig} in the service,
 * directly in tests that run several replicas in one JVM.
 *
 * @param kafka client properties shared by every producer, consumer and admin client (bootstrap servers, security)
 * @param replicaId this replica's name in job status records and events (the pod name on Kubernetes)
 * @param groupId the job topic's consumer group: replicas of one group share the jobs, each job runs once
 * @param checkpointRoot where relative base/out paths resolve and where a job without out writes
 * @param dataRoot where corpus family names resolve
 * @param progressInterval how often a running job writes its step progress to the status topic
 * @param maxPollInterval the job consumer's max.poll.interval.ms (only matters while a rebalance waits for a job to
 *     stop; the consumer keeps polling while it trains)
 */
public record TrainerSettings(
        Map<String, Object> kafka,
        String replicaId,
        String jobsTopic,
        String statusTopic,
        String checkpointsTopic,
        String groupId,
        int jobPartitions,
        int statusPartitions,
        int checkpointPartitions,
        short replicationFactor,
        boolean createTopics,
        Path checkpointRoot,
        Path dataRoot,
        Duration progressInterval,
        Duration maxPollInterval) {

    public TrainerSettings {
        kafka = KafkaClients.properties(kafka);
        checkpointRoot = checkpointRoot.toAbsolutePath().normalize();
        dataRoot = dataRoot.toAbsolutePath().normalize();
    }

    /** The same settings as another replica (tests run several in one JVM). */
    public TrainerSettings withReplicaId(String id) {
        return new TrainerSettings(
                kafka,
                id,
                jobsTopic,
                statusTopic,
                checkpointsTopic,
                groupId,
                jobPartitions,
                statusPartitions,
                checkpointPartitions,
                replicationFactor,
                createTopics,
                checkpointRoot,
                dataRoot,
                progressInterval,
                maxPollInterval);
    }
}
