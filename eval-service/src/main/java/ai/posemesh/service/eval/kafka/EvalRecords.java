package ai.posemesh.service.eval.kafka;

import ai.posemesh.proto.events.v1.EvalCompleted;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * Everything eval-service writes to Kafka, through one idempotent producer (acks=all); each method returns once the
 * broker acknowledged the record, so the caller commits the checkpoint's offset only after its effect is durable.
 */
public final class EvalRecords implements AutoCloseable {

    /** DLQ headers: why, which error code, where the record came from, how many tries. */
    public static final String H_REASON = "posemesh.dlq.reason";

    public static final String H_CODE = "posemesh.dlq.code";
    public static final String H_SOURCE = "posemesh.dlq.source";
    public static final String H_ATTEMPTS = "posemesh.dlq.attempts";
    public static final String H_REPLICA = "posemesh.dlq.replica";

    private static final long SEND_TIMEOUT_S = 60;

    private final Producer<String, byte[]> producer;
    private final String resultsTopic;
    private final String dlqTopic;

    public EvalRecords(Producer<String, byte[]> producer, String resultsTopic, String dlqTopic) {
        this.producer = producer;
        this.resultsTopic = resultsTopic;
        this.dlqTopic = dlqTopic;
    }

    /** EvalCompleted, key = the evaluated model's manifest sha256. */
    public RecordMetadata publishResult(EvalCompleted e) throws KafkaWriteException {
        return sendAndWait(
                new ProducerRecord<>(resultsTopic, e.getModel().getManifestSha256(), e.toByteArray()),
                "EvalCompleted " + e.getEvaluationId());
    }

    /**
     * The poisoned record as it came (key and value untouched, so it can be replayed), with the reason in headers.
     *
     * @param code a short machine-readable cause: MALFORMED_PAYLOAD, INVALID_EVENT, or the inference service's reason
     *     (MANIFEST_MISMATCH, CHECKPOINT_UNREADABLE, …)
     */
    public RecordMetadata deadLetter(
            ConsumerRecord<String, byte[]> r, String code, String reason, int attempts, String replica)
            throws KafkaWriteException {
        ProducerRecord<String, byte[]> p = new ProducerRecord<>(dlqTopic, r.key(), r.value());
        p.headers()
                .add(H_REASON, reason.getBytes(StandardCharsets.UTF_8))
                .add(H_CODE, code.getBytes(StandardCharsets.UTF_8))
                .add(H_SOURCE, (r.topic() + "-" + r.partition() + "@" + r.offset()).getBytes(StandardCharsets.UTF_8))
                .add(H_ATTEMPTS, String.valueOf(attempts).getBytes(StandardCharsets.UTF_8))
                .add(H_REPLICA, replica.getBytes(StandardCharsets.UTF_8));
        return sendAndWait(p, "dead letter of " + r.topic() + "-" + r.partition() + "@" + r.offset());
    }

    private RecordMetadata sendAndWait(ProducerRecord<String, byte[]> record, String what) throws KafkaWriteException {
        try {
            return producer.send(record).get(SEND_TIMEOUT_S, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new KafkaWriteException(what + ": interrupted", e);
        } catch (ExecutionException e) {
            throw new KafkaWriteException(what + ": " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new KafkaWriteException(what + ": no acknowledgement within " + SEND_TIMEOUT_S + " s", e);
        } catch (org.apache.kafka.common.KafkaException e) {
            throw new KafkaWriteException(what + ": " + e, e);
        }
    }

    @Override
    public void close() {
        producer.close(java.time.Duration.ofSeconds(10));
    }

    /** A record the broker did not acknowledge. */
    public static final class KafkaWriteException extends Exception {
        public KafkaWriteException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
