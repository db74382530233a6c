package ai.posemesh.evaluation;

/**
 * Where a suite is: at {@code length}, {@code done} of {@code total} units (scored tokens for perplexity, trials for
 * passkey). Called from the evaluating thread after each unit of work; throwing from it (for instance a
 * {@link java.util.concurrent.CancellationException}) stops the suite with that exception.
 */
@FunctionalInterface
public interface Progress {

    Progress NONE = (length, done, total) -> {};

    void update(int length, long done, long total);
}
