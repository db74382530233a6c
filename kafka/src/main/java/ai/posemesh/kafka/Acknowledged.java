package ai.posemesh.kafka;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;

/**
 * Acknowledged sends: the call returns once the broker acknowledged the record (with the services' idempotent
 * acks=all producer, once it is durable), so a caller can order effects after it (a status before a job record, a
 * result before the offset commit).
 */
public final class Acknowledged {

    /** How long a send waits for its acknowledgement. */
    public static final long TIMEOUT_S = 60;

    private Acknowledged() {}

    /**
     * Sends {@code record} and waits for the broker.
     *
     * @param what the record in words, for the exception's message ("job j-1", "EvalCompleted eval-…")
     * @throws KafkaWriteException not acknowledged: refused, timed out, interrupted (the flag is set again), or the
     *     producer failed
     */
    public static <K, V> RecordMetadata send(Producer<K, V> producer, ProducerRecord<K, V> record, String what)
            throws KafkaWriteException {
        try {
            return producer.send(record).get(TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaWriteException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new KafkaWriteException(what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaWriteException(what + ": no acknowledgement within " + TIMEOUT_S + " s", e);
        } catch (KafkaException e) {
            throw new KafkaWriteException(what + ": " + e, e);
        }
    }
}
