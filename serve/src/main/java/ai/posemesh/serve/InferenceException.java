package ai.posemesh.serve;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A request the engine refuses, typed so an adapter can map it without parsing text: a {@link Reason} (the
 * google.rpc.ErrorInfo reason of inference.proto, which fixes the {@link Kind}), a message a person can act on, and
 * metadata (e.g. prompt_tokens, max_new_tokens, max_context; {@code field} names the request field at fault).
 * Metadata keeps the order its keys were given in (build it with {@link #meta}, not {@code Map.of}, whose iteration
 * order changes from one JVM run to the next), so the ErrorInfo a client prints reads the same every time.
 */
public class InferenceException extends RuntimeException {

    /** The status class, named as gRPC names it. */
    public enum Kind {
        INVALID_ARGUMENT,
        OUT_OF_RANGE,
        NOT_FOUND,
        FAILED_PRECONDITION,
        RESOURCE_EXHAUSTED,
        ALREADY_EXISTS
    }

    /** The reasons listed at the top of inference.proto. */
    public enum Reason {
        CONTEXT_LENGTH_EXCEEDED(Kind.OUT_OF_RANGE),
        INVALID_SAMPLING(Kind.INVALID_ARGUMENT),
        EMPTY_PROMPT(Kind.INVALID_ARGUMENT),
        TOKEN_OUT_OF_VOCABULARY(Kind.INVALID_ARGUMENT),
        INVALID_WINDOW(Kind.INVALID_ARGUMENT),
        INVALID_REQUEST(Kind.INVALID_ARGUMENT),
        MODEL_NOT_FOUND(Kind.NOT_FOUND),
        MANIFEST_MISMATCH(Kind.FAILED_PRECONDITION),
        CHECKPOINT_UNREADABLE(Kind.FAILED_PRECONDITION),
        NO_MODEL_LOADED(Kind.FAILED_PRECONDITION),
        TOKEN_BUDGET_EXHAUSTED(Kind.RESOURCE_EXHAUSTED),
        MODEL_ALREADY_LOADED(Kind.ALREADY_EXISTS);

        private final Kind kind;

        Reason(Kind kind) {
            this.kind = kind;
        }

        public Kind kind() {
            return kind;
        }
    }

    public static final String FIELD = "field";

    private final Reason reason;
    private final Map<String, String> metadata;

    public InferenceException(Reason reason, String message, Map<String, ?> metadata) {
        this(reason, message, metadata, null);
    }

    /** @param metadata copied in its iteration order: pass a {@link #meta} map (or another ordered map) */
    public InferenceException(Reason reason, String message, Map<String, ?> metadata, Throwable cause) {
        super(message, cause);
        this.reason = reason;
        Map<String, String> m = new LinkedHashMap<>();
        metadata.forEach((k, v) -> m.put(k, String.valueOf(v)));
        this.metadata = Collections.unmodifiableMap(m);
    }

    /**
     * Insertion-ordered metadata from alternating keys and values ({@code meta("prompt_tokens", 9001, "max_context",
     * 8192)}); values are kept as given and printed with {@link String#valueOf}.
     */
    public static Map<String, Object> meta(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException(
                    "metadata needs key, value pairs, got " + keysAndValues.length + " items");
        }
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            if (m.put((String) keysAndValues[i], keysAndValues[i + 1]) != null) {
                throw new IllegalArgumentException("duplicate metadata key " + keysAndValues[i]);
            }
        }
        return m;
    }

    /** An INVALID_ARGUMENT-class error about one request field: the message is "field: problem". */
    public static InferenceException field(Reason reason, String field, String problem) {
        return new InferenceException(reason, field + ": " + problem, meta(FIELD, field));
    }

    public Reason reason() {
        return reason;
    }

    public Kind kind() {
        return reason.kind();
    }

    public Map<String, String> metadata() {
        return metadata;
    }

    /** The request field at fault, or null. */
    public String field() {
        return metadata.get(FIELD);
    }
}
