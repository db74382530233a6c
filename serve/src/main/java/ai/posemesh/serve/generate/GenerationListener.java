package ai.posemesh.serve.generate;

/** Events of one generation, in order: prefill progress, tokens, then exactly one final result. */
public interface GenerationListener {

    /** Before prefill starts ({@code done} = 0) and after every prefill chunk. */
    default void onPrefill(int done, int total) {}

    /**
     * @param text the text this token releases: empty while a character or a possible stop sequence is incomplete;
     *     all texts together are the generated text without the stop sequence
     * @param logprob ln p(token | everything before it) under the model, before temperature, top-k and top-p
     */
    void onToken(int id, String text, double logprob);

    /** Alternatives wanted with each token (0, the default: none); more than the vocabulary gives the vocabulary. */
    default int topLogprobs() {
        return 0;
    }

    /**
     * With {@link #topLogprobs()} k > 0, called just before each {@link #onToken}: the k most likely tokens at that
     * step, most likely first (ties: lower id first), with log-probabilities under the unmodified distribution computed
     * exactly as {@code onToken}'s, so the chosen token's entry, when it is among them, equals its logprob.
     */
    default void onTopLogprobs(int[] ids, double[] logprobs) {}

    void onFinal(GenerationResult result);
}
