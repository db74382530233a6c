package ai.posemesh.service.eval;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * Everything the eval-service's plumbing needs, as a plain value (built from {@link EvalConfig}).
 *
 * @param kafka client properties shared by every producer, consumer and admin client
 * @param inferenceEndpoint host:port of the inference service's gRPC API
 * @param maxAttempts tries of an event failing for a reason of its own before the DLQ
 * @param backoff wait between those tries (and the first wait while inference is UNAVAILABLE)
 * @param unavailableMaxBackoff the longest wait while inference is UNAVAILABLE (the wait doubles up to it)
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
        Duration maxPollInterval) {

    public EvalSettings {
        Map<String, Object> k = new HashMap<>();
        kafka.forEach((key, value) -> {
            if (value != null) {
                k.put(key, value);
            }
        });
        kafka = Map.copyOf(k);
        reportsRoot = reportsRoot.toAbsolutePath().normalize();
    }
}
