package ai.posemesh.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.testkit.TestKafka;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.TopicConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The shared mechanisms against a real broker (the testkit's). */
class BrokerTest {

    static Map<String, Object> kafka;
    static Admin admin;
    static KafkaProducer<String, byte[]> producer;

    @BeforeAll
    static void broker() {
        kafka = KafkaClients.properties(Map.of("bootstrap.servers", TestKafka.bootstrapServers()));
        admin = KafkaClients.admin(kafka, "test-admin");
        producer = KafkaClients.producer(kafka, "test-producer");
    }

    @AfterAll
    static void close() {
        producer.close(Duration.ofSeconds(5));
        admin.close();
    }

    static String topic(String what) {
        return "test." + what + "." + UUID.randomUUID();
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void topicsAreCreatedOnceAndExistingOnesLeftAlone() throws Exception {
        String a = topic("a");
        String b = topic("b");
        admin.createTopics(List.of(new NewTopic(b, Optional.of(1), Optional.empty())))
                .all()
                .get(20, TimeUnit.SECONDS);
        List<NewTopic> wanted = List.of(
                new NewTopic(a, Optional.of(3), KafkaTopics.replicationFactor((short) -1))
                        .configs(Map.of(TopicConfig.RETENTION_MS_CONFIG, "-1")),
                new NewTopic(b, Optional.of(4), KafkaTopics.replicationFactor((short) 0)));
        assertEquals(List.of(a), KafkaTopics.ensure(admin, wanted));
        assertEquals(List.of(), KafkaTopics.ensure(admin, wanted), "nothing missing the second time");
        var described = admin.describeTopics(List.of(a, b)).allTopicNames().get(20, TimeUnit.SECONDS);
        assertEquals(3, described.get(a).partitions().size());
        assertEquals(1, described.get(b).partitions().size(), "an existing topic keeps its settings");
        assertEquals(Optional.of((short) 3), KafkaTopics.replicationFactor((short) 3));
    }

    @Test
    void probeAnswersWithinItsBound() {
        KafkaProbe up = KafkaProbe.ask(admin);
        assertTrue(up.answers(), up.problem());
        assertEquals(1, up.brokers());
        try (Admin nowhere = KafkaClients.admin(
                KafkaClients.properties(Map.of("bootstrap.servers", "127.0.0.1:1")), "test-nowhere")) {
            long t0 = System.nanoTime();
            KafkaProbe down = KafkaProbe.ask(nowhere, Duration.ofMillis(500));
            assertFalse(down.answers());
            assertTrue(down.problem().startsWith("unreachable: "), down.problem());
            assertTrue(System.nanoTime() - t0 < Duration.ofSeconds(3).toNanos(), "bounded");
        }
    }

    @Test
    void acknowledgedSendsReturnOnceWrittenAndSayWhatFailed() throws Exception {
        String t = topic("acked");
        KafkaTopics.ensure(admin, List.of(new NewTopic(t, Optional.of(1), Optional.empty())));
        RecordMetadata md = Acknowledged.send(producer, new ProducerRecord<>(t, "k", bytes("v")), "record k");
        assertEquals(0, md.offset());
        KafkaWriteException e = assertThrows(
                KafkaWriteException.class,
                () -> Acknowledged.send(producer, new ProducerRecord<>(t, "big", new byte[2 << 20]), "record big"));
        assertTrue(e.getMessage().startsWith("record big: "), e.getMessage());
        assertTrue(e.getMessage().contains("RecordTooLarge"), e.getMessage());
    }

    @Test
    void aCommitMarksTheRecordDone() throws Exception {
        String t = topic("work");
        KafkaTopics.ensure(admin, List.of(new NewTopic(t, Optional.of(1), Optional.empty())));
        Acknowledged.send(producer, new ProducerRecord<>(t, "a", bytes("1")), "a");
        Acknowledged.send(producer, new ProducerRecord<>(t, "b", bytes("2")), "b");
        String group = "test-group-" + UUID.randomUUID();
        try (KafkaConsumer<String, byte[]> c =
                KafkaClients.workConsumer(kafka, group, "test-worker", Duration.ofMinutes(1))) {
            c.subscribe(List.of(t));
            ConsumerRecord<String, byte[]> first = null;
            long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (first == null && System.nanoTime() < end) {
                var records = c.poll(Duration.ofMillis(200));
                assertTrue(records.count() <= 1, "one record per poll");
                first = records.isEmpty() ? null : records.iterator().next();
            }
            assertEquals("a", first.key());
            Offsets.commitThrough(c, new TopicPartition(t, 0), first.offset());
        }
        OffsetAndMetadata committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata()
                .get(20, TimeUnit.SECONDS)
                .get(new TopicPartition(t, 0));
        assertEquals(1, committed.offset(), "past the first record, not the second");
    }

    @Test
    void aReaderFoldsTheWholeTopicAndSyncsToItsEnd() throws Exception {
        String t = topic("view");
        Map<String, String> seen = new ConcurrentHashMap<>();
        AtomicInteger folded = new AtomicInteger();
        try (TopicReader reader = new TopicReader(kafka, t, "test-reader", "test-reader-thread", r -> {
            seen.put(r.key(), new String(r.value(), StandardCharsets.UTF_8));
            folded.incrementAndGet();
        })) {
            reader.start();
            reader.start(); // once
            long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (reader.lastError() == null && System.nanoTime() < end) {
                Thread.sleep(50);
            }
            assertEquals("topic " + t + " not found", reader.lastError());
            assertFalse(reader.isCaughtUp());
            assertEquals("topic " + t + " not found", reader.notCaughtUpBecause());

            KafkaTopics.ensure(admin, List.of(new NewTopic(t, Optional.of(3), Optional.empty())));
            for (int i = 0; i < 30; i++) {
                Acknowledged.send(producer, new ProducerRecord<>(t, "k" + i, bytes("v" + i)), "k" + i);
            }
            assertTrue(reader.awaitCaughtUp(Duration.ofSeconds(30)), String.valueOf(reader.lastError()));
            assertNull(reader.notCaughtUpBecause());
            assertTrue(reader.sync(Duration.ofSeconds(30)));
            assertEquals(30, seen.size());

            Acknowledged.send(producer, new ProducerRecord<>(t, "k0", bytes("again")), "k0");
            assertTrue(reader.sync(Duration.ofSeconds(30)));
            assertEquals("again", seen.get("k0"), "sync: every record written before the call is folded");
            assertEquals(31, folded.get());
        }
    }

    @Test
    void startupRetryTriesUntilItWorksAndStopsWhenClosed() throws Exception {
        AtomicInteger tries = new AtomicInteger();
        try (StartupRetry r =
                StartupRetry.start("test-init", Duration.ofMillis(10), () -> tries.incrementAndGet() == 3)) {
            long end = System.nanoTime() + Duration.ofSeconds(10).toNanos();
            while (tries.get() < 3 && System.nanoTime() < end) {
                Thread.sleep(10);
            }
            Thread.sleep(100);
            assertEquals(3, tries.get(), "no attempt after one worked");
        }
        AtomicInteger never = new AtomicInteger();
        StartupRetry stopped = StartupRetry.start("test-init-2", Duration.ofMinutes(1), () -> {
            never.incrementAndGet();
            return false;
        });
        Thread.sleep(100);
        stopped.close();
        Thread.sleep(100);
        assertEquals(1, never.get(), "closed during its wait: no second attempt");
        assertFalse(ReplicaIds.hostName("test").isBlank());
    }
}
