package ai.posemesh.corpus;

/**
 * A corpus that cannot be read: a missing file or family, malformed JSON, invalid UTF-8, no text at all. The message
 * reads {@code "<field>: <file>[:<line>]: <reason>"}, so a CLI can print it as is and a service can name the field.
 */
public class CorpusException extends RuntimeException {

    private final String field;
    private final String reason;

    public CorpusException(String field, String message) {
        this(field, message, null);
    }

    public CorpusException(String field, String message, Throwable cause) {
        super(field + ": " + message, cause);
        this.field = field;
        this.reason = message;
    }

    /** The request field that named the corpus ({@code data}). */
    public String field() {
        return field;
    }

    /** The message without the field: {@code "<file>[:<line>]: <reason>"}. */
    public String reason() {
        return reason;
    }
}
