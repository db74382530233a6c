package ai.posemesh.service.eval.kafka;

import ai.posemesh.kafka.KafkaTopics;
import ai.posemesh.service.eval.EvalSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/**
 * The eval-service's topics, created when missing ({@link KafkaTopics#ensure}: existing ones and their settings
 * stay).
 */
public final class Topics {

    private Topics() {}

    public static void ensure(Admin admin, EvalSettings s) throws Exception {
        Optional<Short> rf = KafkaTopics.replicationFactor(s.replicationFactor());
        KafkaTopics.ensure(
                admin,
                List.of(
                        new NewTopic(s.checkpointsTopic(), Optional.of(s.checkpointPartitions()), rf),
                        // Results are the record of what is done: kept forever (the service reads the whole topic at
                        // start-up).
                        new NewTopic(s.resultsTopic(), Optional.of(s.resultPartitions()), rf)
                                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")),
                        new NewTopic(s.dlqTopic(), Optional.of(1), rf)
                                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1"))));
    }
}
