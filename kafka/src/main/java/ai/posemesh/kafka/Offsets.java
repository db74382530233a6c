package ai.posemesh.kafka;

import java.time.Duration;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;

/** Manual offset commits of the work-queue consumers ({@link KafkaClients#workConsumer}). */
public final class Offsets {

    private Offsets() {}

    /**
     * Commits {@code tp} past the record at {@code offset} (offset + 1: its work is done), synchronously, within 30 s.
     * A wakeup (close() woke the consumer) is tried once more, because the commit still matters; a second one gives
     * up quietly (the record is read again).
     *
     * @throws KafkaException the commit failed (the record may be read again)
     */
    public static void commitThrough(Consumer<?, ?> consumer, TopicPartition tp, long offset) {
        Map<TopicPartition, OffsetAndMetadata> o = Map.of(tp, new OffsetAndMetadata(offset + 1));
        for (int attempt = 0; attempt < 2; attempt++) {
            try {
                consumer.commitSync(o, Duration.ofSeconds(30));
                return;
            } catch (WakeupException e) {
                // close() woke the consumer; the commit still matters: try once more
            }
        }
    }
}
