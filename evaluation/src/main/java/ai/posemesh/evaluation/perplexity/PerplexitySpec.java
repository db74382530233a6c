package ai.posemesh.evaluation.perplexity;

import ai.posemesh.evaluation.EvalBackend;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.Lengths;
import java.util.Arrays;

/**
 * A perplexity run, in the reference's terms ({@code eval_ppl.py}): window lengths W ({@code window_length_list}), the
 * sliding stride S ({@code sliding_window_step}), how many documents ({@code eval_nums}), the document filter and cut
 * ({@code min_input_tokens}, {@code max_input_tokens}) and {@code --truncate}.
 *
 * @param lengths window lengths W, each ≥ 2: BOS + up to W − 1 document tokens per window
 * @param stride S for every length, 1 ≤ S ≤ W − 1; 0 = half of each window ({@code max(1, W / 2)})
 * @param docs keep the first this many documents that are long enough
 * @param minTokens keep documents with at least {@code minTokens − 1} tokens
 * @param maxTokens cut every document to {@code maxTokens − 1} tokens
 * @param truncate score each document's first W − 1 tokens in one window instead of sliding
 */
public record PerplexitySpec(int[] lengths, int stride, int docs, int minTokens, int maxTokens, boolean truncate) {

    /** Documents kept when none is said: small enough for a 2-core machine. */
    public static final int DEFAULT_DOCS = 10;

    public PerplexitySpec {
        lengths = lengths.clone();
    }

    /**
     * Defaults from the model: {@link Lengths#defaults}, stride W / 2, {@value #DEFAULT_DOCS} documents, and min = max
     * tokens = the longest length, so every document fills the longest window and every length reads the same tokens.
     */
    public static PerplexitySpec defaults(EvalBackend backend) {
        int[] lengths = Lengths.defaults(backend.model(), backend.sequenceLimit());
        return withLengths(lengths);
    }

    /** The defaults for these lengths: stride W / 2, {@value #DEFAULT_DOCS} docs, min = max = the longest length. */
    public static PerplexitySpec withLengths(int[] lengths) {
        int longest = Arrays.stream(lengths).max().orElse(2);
        return new PerplexitySpec(lengths, 0, DEFAULT_DOCS, longest, longest, false);
    }

    /** S at window W. */
    public int strideFor(int window) {
        return stride > 0 ? stride : Math.max(1, window / 2);
    }

    @Override
    public int[] lengths() {
        return lengths.clone();
    }

    /** Checks every setting against the protocol and the backend before any work, naming the setting at fault. */
    public void validate(EvalBackend backend) {
        if (lengths.length == 0) {
            throw new EvalException("lengths", "give at least one window length");
        }
        for (int w : lengths) {
            if (w < 2) {
                throw new EvalException(
                        "lengths", "a window must hold BOS and at least one token: at least 2, got " + w);
            }
            if (w > backend.sequenceLimit()) {
                throw new EvalException(
                        "lengths",
                        w + " > " + backend.sequenceLimit() + ", the longest sequence "
                                + backend.model().name()
                                + " takes here (max_context); evaluate past the window in-process (--model) or serve it"
                                + " with a larger max_context (LoadModel)");
            }
            if (!truncate && stride > w - 1) {
                throw new EvalException(
                        "stride",
                        "must be in [1, " + (w - 1) + "] for window " + w + " (a window holds " + (w - 1)
                                + " tokens after BOS; a larger stride would count tokens no window scores), got "
                                + stride);
            }
        }
        if (stride < 0) {
            throw new EvalException("stride", "must be >= 1 (or 0 for half of each window), got " + stride);
        }
        if (docs < 1) {
            throw new EvalException("docs", "must be >= 1, got " + docs);
        }
        if (maxTokens < 2) {
            throw new EvalException(
                    "max-tokens", "must be >= 2 (documents are cut to max-tokens − 1), got " + maxTokens);
        }
        if (minTokens < 1 || minTokens > maxTokens) {
            throw new EvalException("min-tokens", "must be in [1, max-tokens = " + maxTokens + "], got " + minTokens);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PerplexitySpec s
                && Arrays.equals(lengths, s.lengths)
                && stride == s.stride
                && docs == s.docs
                && minTokens == s.minTokens
                && maxTokens == s.maxTokens
                && truncate == s.truncate;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(lengths) * 31 + java.util.Objects.hash(stride, docs, minTokens, maxTokens, truncate);
    }

    @Override
    public String toString() {
        return "PerplexitySpec[lengths=" + Arrays.toString(lengths) + ", stride=" + stride + ", docs=" + docs
                + ", minTokens=" + minTokens + ", maxTokens=" + maxTokens + ", truncate=" + truncate + "]";
    }
}
