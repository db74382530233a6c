package ai.posemesh.corpus.fetch;

/** {@code ./pose data fetch} could not do its job; the message names the package or file and says why. */
public class FetchException extends RuntimeException {

    public FetchException(String message) {
        super(message);
    }

    public FetchException(String message, Throwable cause) {
        super(message, cause);
    }
}
