package ai.posemesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.junit.jupiter.api.Test;

/** The three layers of every client's settings: tuning defaults, the operator's properties, what correctness needs. */
class KafkaClientsTest {

    /** What an operator might set under kafka.*, including what the clients must not take. */
    static Map<String, Object> operator() {
        Map<String, Object> m = new HashMap<>();
        m.put("bootstrap.servers", "kafka:9092");
        m.put("security.protocol", "SASL_SSL");
        m.put(ProducerConfig.LINGER_MS_CONFIG, 7);
        m.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        m.put(ProducerConfig.ACKS_CONFIG, "1");
        m.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 30_000);
        m.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 500);
        m.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, true);
        m.put(ConsumerConfig.GROUP_ID_CONFIG, "operator-group");
        m.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 5_000);
        m.put("devservices.enabled", false);
        m.put("snappy.load-from-shared-classloader", true);
        m.put("health.enabled", false);
        return m;
    }

    @Test
    void propertiesDropUnsetValuesAndAreImmutable() {
        Map<String, Object> in = new HashMap<>();
        in.put("bootstrap.servers", "b:9092");
        in.put("sasl.jaas.config", null);
        Map<String, Object> p = KafkaClients.properties(in);
        assertEquals(Map.of("bootstrap.servers", "b:9092"), p);
        assertThrows(UnsupportedOperationException.class, () -> p.put("x", "y"));
    }

    @Test
    void producerIsIdempotentWithAcksAllWhateverTheOperatorSets() {
        Map<String, Object> p = KafkaClients.producerConfig(operator(), "svc-1");
        assertEquals(true, p.get(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG));
        assertEquals("all", p.get(ProducerConfig.ACKS_CONFIG));
        assertEquals(5, p.get(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION));
        assertEquals("svc-1", p.get(ProducerConfig.CLIENT_ID_CONFIG));
        assertEquals(7, p.get(ProducerConfig.LINGER_MS_CONFIG), "tuning: the operator's value wins");
        assertEquals(10_000, p.get(ProducerConfig.MAX_BLOCK_MS_CONFIG), "tuning default");
        assertEquals(30_000, p.get(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG), "tuning default");
        assertEquals("SASL_SSL", p.get("security.protocol"));
        assertEquals("kafka:9092", p.get("bootstrap.servers"));
        assertFalse(p.containsKey(ConsumerConfig.GROUP_ID_CONFIG));
        assertFalse(p.containsKey("devservices.enabled"));
        assertFalse(p.containsKey("snappy.load-from-shared-classloader"));
        assertFalse(p.containsKey("health.enabled"));
    }

    @Test
    void workConsumerTakesOneRecordAtATimeAndCommitsByHand() {
        Map<String, Object> c =
                KafkaClients.workConsumerConfig(operator(), "posemesh-trainer", "jobs-1", Duration.ofMinutes(15));
        assertEquals("posemesh-trainer", c.get(ConsumerConfig.GROUP_ID_CONFIG), "the service's group, not kafka.*");
        assertEquals("jobs-1", c.get(ConsumerConfig.CLIENT_ID_CONFIG));
        assertEquals(1, c.get(ConsumerConfig.MAX_POLL_RECORDS_CONFIG));
        assertEquals(false, c.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals("classic", c.get(ConsumerConfig.GROUP_PROTOCOL_CONFIG));
        assertEquals(
                CooperativeStickyAssignor.class.getName(), c.get(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG));
        assertEquals(900_000, c.get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG));
        assertEquals("earliest", c.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG));
        assertEquals(30_000, c.get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), "tuning: the operator's value wins");
        assertEquals(
                45_000,
                KafkaClients.workConsumerConfig(Map.of(), "g", "c", Duration.ofSeconds(1))
                        .get(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG));
        assertEquals(
                Integer.MAX_VALUE,
                KafkaClients.workConsumerConfig(Map.of(), "g", "c", Duration.ofDays(365))
                        .get(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG),
                "clipped to an int");
    }

    @Test
    void readerHasNoGroupAndCommitsNothing() {
        Map<String, Object> r = KafkaClients.readerConfig(operator(), "status-1");
        assertFalse(r.containsKey(ConsumerConfig.GROUP_ID_CONFIG));
        assertEquals(false, r.get(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG));
        assertEquals("earliest", r.get(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG));
        assertEquals("status-1", r.get(ConsumerConfig.CLIENT_ID_CONFIG));
    }

    @Test
    void adminTakesTheOperatorsTimeouts() {
        Map<String, Object> a = KafkaClients.adminConfig(operator(), "admin-1");
        assertEquals(5_000, a.get(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG));
        assertEquals(10_000, a.get(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG));
        assertEquals("admin-1", a.get(AdminClientConfig.CLIENT_ID_CONFIG));
        assertFalse(a.containsKey(ConsumerConfig.GROUP_ID_CONFIG));
    }
}
