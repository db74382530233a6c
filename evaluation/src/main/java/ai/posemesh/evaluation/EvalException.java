package ai.posemesh.evaluation;

/**
 * A bad evaluation request: {@link #field()} names the setting at fault as the CLI spells it without dashes
 * ({@code lengths}, {@code stride}, {@code docs}, {@code min-tokens}, {@code max-tokens}, {@code trials}, {@code data},
 * …), so the CLI can print {@code --field: message} and a service can answer INVALID_ARGUMENT for that field.
 */
public final class EvalException extends RuntimeException {

    private final String field;

    public EvalException(String field, String message) {
        super(message);
        this.field = field;
    }

    public String field() {
        return field;
    }

    /** {@code field: message}. */
    @Override
    public String toString() {
        return field + ": " + getMessage();
    }
}
