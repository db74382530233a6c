package ai.posemesh.train;

/**
 * A training job that cannot run as asked. {@link Kind} maps one-to-one onto gRPC status codes, so the trainer
 * service answers INVALID_ARGUMENT or FAILED_PRECONDITION with this message.
 */
public class TrainException extends RuntimeException {

    public enum Kind {
        /** The request itself is wrong (Lt < Lc, unknown method or rope type, bad numbers). */
        INVALID_ARGUMENT,
        /** The request is fine but the world is not (missing/unreadable base, corpus without long documents). */
        FAILED_PRECONDITION
    }

    private final Kind kind;
    private final String field;

    public TrainException(Kind kind, String field, String message) {
        this(kind, field, message, null);
    }

    public TrainException(Kind kind, String field, String message, Throwable cause) {
        super(field == null ? message : field + ": " + message, cause);
        this.kind = kind;
        this.field = field;
    }

    public Kind kind() {
        return kind;
    }

    public String field() {
        return field;
    }
}
