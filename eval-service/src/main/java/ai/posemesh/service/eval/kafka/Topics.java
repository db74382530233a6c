package ai.posemesh.service.eval.kafka;

import ai.posemesh.service.eval.EvalSettings;
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

/** Creates the eval-service's topics when they are missing; leaves existing ones (and their settings) alone. */
public final class Topics {

    private static final Logger LOG = Logger.getLogger(Topics.class);

    private Topics() {}

    public static void ensure(Admin admin, EvalSettings s) throws Exception {
        Optional<Short> rf = s.replicationFactor() > 0 ? Optional.of(s.replicationFactor()) : Optional.empty();
        List<NewTopic> wanted = new ArrayList<>();
        wanted.add(new NewTopic(s.checkpointsTopic(), Optional.of(s.checkpointPartitions()), rf));
        // Results are the record of what is done: kept forever (the service reads the whole topic at start-up).
        wanted.add(new NewTopic(s.resultsTopic(), Optional.of(s.resultPartitions()), rf)
                .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")));
        wanted.add(
                new NewTopic(s.dlqTopic(), Optional.of(1), rf).configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")));
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
