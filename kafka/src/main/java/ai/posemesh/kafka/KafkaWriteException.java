package ai.posemesh.kafka;

/** A record the broker did not acknowledge ({@link Acknowledged#send}); the message says which record and why. */
public final class KafkaWriteException extends Exception {

    public KafkaWriteException(String message, Throwable cause) {
        super(message, cause);
    }
}
