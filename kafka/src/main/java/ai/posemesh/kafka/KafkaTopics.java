package ai.posemesh.kafka;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creates a service's topics when they are missing; leaves existing ones (and their settings) alone. */
public final class KafkaTopics {

    private static final System.Logger LOG = System.getLogger(KafkaTopics.class.getName());

    private KafkaTopics() {}

    /** A configured replication factor: ≤ 0 means unset (the broker's default). */
    public static Optional<Short> replicationFactor(short configured) {
        return configured > 0 ? Optional.of(configured) : Optional.empty();
    }

    /**
     * Creates those of {@code wanted} that do not exist (a topic another replica creates meanwhile is fine); waits
     * up to 20 s for the listing and for each creation.
     *
     * @return the names created
     */
    public static List<String> ensure(Admin admin, Collection<NewTopic> wanted)
            throws InterruptedException, ExecutionException, TimeoutException {
        Set<String> existing = admin.listTopics().names().get(20, TimeUnit.SECONDS);
        List<NewTopic> missing =
                wanted.stream().filter(t -> !existing.contains(t.name())).toList();
        List<String> created = new ArrayList<>();
        if (missing.isEmpty()) {
            return created;
        }
        for (Map.Entry<String, KafkaFuture<Void>> e :
                admin.createTopics(missing).values().entrySet()) {
            try {
                e.getValue().get(20, TimeUnit.SECONDS);
                LOG.log(System.Logger.Level.INFO, "created topic {0}", e.getKey());
                created.add(e.getKey());
            } catch (ExecutionException ex) {
                if (!(ex.getCause() instanceof TopicExistsException)) {
                    throw ex;
                }
            }
        }
        return created;
    }
}
