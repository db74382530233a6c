package ai.posemesh.service.trainer.kafka;

import ai.posemesh.kafka.KafkaTopics;
import ai.posemesh.service.trainer.TrainerSettings;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;

/** The trainer's topics, created when missing ({@link KafkaTopics#ensure}: existing ones and their settings stay). */
public final class Topics {

    private Topics() {}

    public static void ensure(Admin admin, TrainerSettings s)
            throws InterruptedException, ExecutionException, TimeoutException {
        Optional<Short> rf = KafkaTopics.replicationFactor(s.replicationFactor());
        KafkaTopics.ensure(
                admin,
                List.of(
                        // Job records: a queued job must not expire while it waits behind long jobs.
                        new NewTopic(s.jobsTopic(), Optional.of(s.jobPartitions()), rf)
                                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")),
                        // Status snapshots: the latest per job is all that matters.
                        new NewTopic(s.statusTopic(), Optional.of(s.statusPartitions()), rf)
                                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)),
                        new NewTopic(s.checkpointsTopic(), Optional.of(s.checkpointPartitions()), rf)));
    }
}
