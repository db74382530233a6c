package ai.posemesh.service.trainer;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.testkit.TestKafka;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/** Reads CheckpointPublished events back as a consumer would: a plain KafkaConsumer, no trainer code. */
public final class TestEvents {

    private TestEvents() {}

    /**
     * A job's events on {@code topic}, by step, read from the beginning until {@code expected} arrived (or 30 s
     * passed); a few more seconds of reading catch duplicates.
     */
    public static List<CheckpointPublished> checkpoints(String topic, String jobId, int expected) throws Exception {
        Map<String, Object> props = Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers(),
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName(),
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<CheckpointPublished> found = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props)) {
            List<TopicPartition> parts = c.partitionsFor(topic).stream()
                    .map(p -> new TopicPartition(p.topic(), p.partition()))
                    .toList();
            c.assign(parts);
            c.seekToBeginning(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long extra = Long.MAX_VALUE;
            while (System.nanoTime() < Math.min(deadline, extra)) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(300))) {
                    CheckpointPublished e = CheckpointPublished.parseFrom(r.value());
                    if (e.getJobId().equals(jobId)) {
                        assertEquals(e.getCheckpointId(), r.key(), "key = checkpoint id");
                        found.add(e);
                    }
                }
                if (found.size() >= expected && extra == Long.MAX_VALUE) {
                    extra = System.nanoTime() + Duration.ofSeconds(1).toNanos();
                }
            }
        }
        found.sort(Comparator.comparingInt(CheckpointPublished::getStep));
        return found;
    }
}
