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

    void onFinal(GenerationResult result);
}
