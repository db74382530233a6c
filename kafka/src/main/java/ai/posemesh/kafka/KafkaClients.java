package ai.posemesh.kafka;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The services' Kafka clients (String keys, protobuf bytes as values). Each is built from three layers: tuning
 * defaults, then the operator's {@code kafka.*} properties ({@code base}), then what correctness needs (which the
 * operator cannot turn off); what differs between services (client id, group, max.poll.interval.ms) is passed in.
 */
public final class KafkaClients {

    private KafkaClients() {}

    /**
     * The operator's properties as the services keep them: null values (unset properties, as Quarkus hands them over)
     * dropped, immutable.
     */
    public static Map<String, Object> properties(Map<String, ?> configured) {
        Map<String, Object> k = new HashMap<>();
        configured.forEach((key, value) -> {
            if (value != null) {
                k.put(key, value);
            }
        });
        return Map.copyOf(k);
    }

    /**
     * A service's one producer: idempotent, acks=all, so a retried send never duplicates or reorders a record within
     * a partition.
     */
    public static KafkaProducer<String, byte[]> producer(Map<String, Object> base, String clientId) {
        return new KafkaProducer<>(producerConfig(base, clientId));
    }

    static Map<String, Object> producerConfig(Map<String, Object> base, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 10_000);
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 15_000);
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 30_000);
        putAll(p, base);
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 5); // the idempotent producer's ordering limit
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        return p;
    }

    /**
     * A work-queue consumer in group {@code groupId} (the trainer's job records, eval-service's checkpoint events):
     * manual commits (the caller commits once the record's work is durable), one record per poll (one piece of work
     * at a time), cooperative-sticky assignment (a rebalance moves only the partitions that must move, so a busy
     * replica usually keeps the partition of its work), the classic group protocol (the assignor needs it).
     *
     * @param maxPollInterval max.poll.interval.ms: how long a rebalance may wait for the work in hand
     */
    public static KafkaConsumer<String, byte[]> workConsumer(
            Map<String, Object> base, String groupId, String clientId, Duration maxPollInterval) {
        return new KafkaConsumer<>(workConsumerConfig(base, groupId, clientId, maxPollInterval));
    }

    static Map<String, Object> workConsumerConfig(
            Map<String, Object> base, String groupId, String clientId, Duration maxPollInterval) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 45_000);
        putAll(p, base);
        p.put(ConsumerConfig.GROUP_ID_CONFIG, groupId);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
        p.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        p.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, (int)
                Math.min(Integer.MAX_VALUE, maxPollInterval.toMillis()));
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 1);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /** A group-less reader that assigns itself whole topics ({@link TopicReader}): no group, nothing committed. */
    public static KafkaConsumer<String, byte[]> reader(Map<String, Object> base, String clientId) {
        return new KafkaConsumer<>(readerConfig(base, clientId));
    }

    static Map<String, Object> readerConfig(Map<String, Object> base, String clientId) {
        Map<String, Object> p = new HashMap<>();
        putAll(p, base);
        p.remove(ConsumerConfig.GROUP_ID_CONFIG);
        p.put(ConsumerConfig.CLIENT_ID_CONFIG, clientId);
        p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        return p;
    }

    /** An admin client (topics, readiness). */
    public static Admin admin(Map<String, Object> base, String clientId) {
        return Admin.create(adminConfig(base, clientId));
    }

    static Map<String, Object> adminConfig(Map<String, Object> base, String clientId) {
        Map<String, Object> p = new HashMap<>();
        p.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        p.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000);
        putAll(p, base);
        p.put(AdminClientConfig.CLIENT_ID_CONFIG, clientId);
        return p;
    }

    /**
     * The operator's properties, minus what belongs to one client kind only (group.id) and what Quarkus' Kafka
     * extension keeps under {@code kafka.*} for itself (Dev Services, snappy, its health check).
     */
    private static void putAll(Map<String, Object> into, Map<String, Object> base) {
        base.forEach((k, v) -> {
            if (!k.equals(ConsumerConfig.GROUP_ID_CONFIG)
                    && !k.startsWith("devservices")
                    && !k.startsWith("snappy")
                    && !k.startsWith("health")) {
                into.put(k, v);
            }
        });
    }
}
