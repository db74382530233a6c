package ai.posemesh.service.trainer.kafka;

import ai.posemesh.service.trainer.TrainerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.jboss.logging.Logger;

/** Creates the trainer's topics when they are missing; leaves existing ones (and their settings) alone. */
public final class Topics {

    private static final Logger LOG = Logger.getLogger(Topics.class);

    private Topics() {}

    public static void ensure(Admin admin, TrainerSettings s)
            throws InterruptedException, ExecutionException, java.util.concurrent.TimeoutException {
        Optional<Short> rf = s.replicationFactor() > 0 ? Optional.of(s.replicationFactor()) : Optional.empty();
        List<NewTopic> wanted = new ArrayList<>();
        // Job records: a queued job must not expire while it waits behind long jobs.
        wanted.add(new NewTopic(s.jobsTopic(), Optional.of(s.jobPartitions()), rf)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")));
        // Status snapshots: the latest per job is all that matters.
        wanted.add(new NewTopic(s.statusTopic(), Optional.of(s.statusPartitions()), rf)
                .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT)));
        wanted.add(new NewTopic(s.checkpointsTopic(), Optional.of(s.checkpointPartitions()), rf));
        Set<String> existing = admin.listTopics().names().get(20, TimeUnit.SECONDS);
        List<NewTopic> missing =
                wanted.stream().filter(t -> !existing.contains(t.name())).toList();
        if (missing.isEmpty()) {
            return;
        }
        for (var e : admin.createTopics(missing).values().entrySet()) {
            try {
                e.getValue().get(20, TimeUnit.SECONDS);
                LOG.infof("created topic %s", e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw ex;
                }
            }
        }
    }
}
