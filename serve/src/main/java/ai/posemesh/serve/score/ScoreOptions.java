package ai.posemesh.serve.score;

/**
 * How a Score request runs. {@code window} 0 = one pass over the whole sequence; otherwise HF-style sliding windows of
 * {@code window} tokens advancing by {@code stride}. {@code chunkTokens} targets per delivered chunk,
 * {@code topLogprobs} alternatives per target (0..{@link #MAX_TOP_LOGPROBS}).
 */
public record ScoreOptions(int window, int stride, int chunkTokens, int topLogprobs) {

    public static final int DEFAULT_CHUNK_TOKENS = 4096;
    public static final int MAX_CHUNK_TOKENS = 65536;
    public static final int MAX_TOP_LOGPROBS = 20;
    /**
     * Bound on chunk_tokens × (1 + top_logprobs): a target costs about 15 bytes per number on the wire, so one chunk
     * stays under 2 MiB, well inside gRPC's default 4 MiB message limit.
     */
    public static final int MAX_CHUNK_NUMBERS = 131072;

    public static ScoreOptions onePass() {
        return new ScoreOptions(0, 0, DEFAULT_CHUNK_TOKENS, 0);
    }

    public static ScoreOptions sliding(int window, int stride) {
        return new ScoreOptions(window, stride, DEFAULT_CHUNK_TOKENS, 0);
    }

    public ScoreOptions withChunkTokens(int n) {
        return new ScoreOptions(window, stride, n, topLogprobs);
    }

    public ScoreOptions withTopLogprobs(int k) {
        return new ScoreOptions(window, stride, chunkTokens, k);
    }
}
