package ai.posemesh.evaluation;

/**
 * What the evaluation suites need from a model, and nothing more: its identity, its tokenizer, exact token logprobs of
 * one context, and greedy generation. Two implementations give the same numbers: {@link InProcessBackend} (the model
 * library in this JVM) and {@link RemoteBackend} (an inference service over gRPC).
 *
 * <p>Not thread-safe: one suite at a time per backend. Calls may throw {@link EvalException} (a request the backend
 * refuses, e.g. longer than it accepts) and, remotely, {@code io.grpc.StatusRuntimeException}.
 */
public interface EvalBackend extends AutoCloseable {

    /** Name, manifest, RoPE and windows of the model being evaluated. */
    EvalModel model();

    /** Token ids of {@code text}; with {@code addSpecialTokens} the tokenizer's BOS comes first. */
    long[] encode(String text, boolean addSpecialTokens);

    /**
     * The longest sequence (prompt + generated tokens, or one scored context) this backend accepts:
     * the served {@code max_context} for a service, which refuses anything longer (max_position_embeddings unless
     * the model was loaded with a max-context override); {@link Integer#MAX_VALUE}
     * in-process, where a model can be run past its window to show where it breaks.
     */
    int sequenceLimit();

    /**
     * Exact log-probabilities of one context, positions 0..n−1: {@code result[i] = ln p(ids[i+1] | ids[0..i])}, as
     * float32 values (the model's precision) widened to double. At least 2 ids.
     */
    double[] score(long[] ids);

    /**
     * Greedy (argmax) generation of exactly {@code maxNewTokens} tokens after {@code prompt}; the end-of-sequence
     * token does not stop it (the passkey protocol reads whatever 10 tokens come).
     */
    Generated greedy(long[] prompt, int maxNewTokens);

    /** Generated token ids and their text (special tokens decode to nothing). */
    record Generated(long[] ids, String text) {}

    @Override
    void close();
}
