package ai.posemesh.service.eval;

import ai.posemesh.kafka.KafkaClients;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * Everything the eval-service's plumbing needs, as a plain value (built from {@link EvalConfig}).
 *
 * @param kafka client properties shared by every producer, consumer and admin client
 * @param inferenceEndpoint host:port of the inference service's gRPC API
 * @param maxAttempts tries of an event failing for a reason of its own before the DLQ
 * @param backoff wait between those tries (and the first wait while inference is UNAVAILABLE)
 * @param unavailableMaxBackoff the longest wait while inference is UNAVAILABLE (the wait doubles up to it)
 * @param basePastWindow serve the job's base with max_context = the suite's longest length (past its window)
 */
public record EvalSettings(
        Map<String, Object> kafka,
        String replicaId,
        String inferenceEndpoint,
        String checkpointsTopic,
        String resultsTopic,
        String dlqTopic,
        String groupId,
        boolean createTopics,
        int checkpointPartitions,
        int resultPartitions,
        short replicationFactor,
        Path reportsRoot,
        int maxAttempts,
        Duration backoff,
        Duration unavailableMaxBackoff,
        Duration maxPollInterval,
        boolean basePastWindow) {

    public EvalSettings {
        kafka = KafkaClients.properties(kafka);
        reportsRoot = reportsRoot.toAbsolutePath().normalize();
    }
}
