package ai.posemesh.serve.score;

/**
 * Consecutive targets starting at target {@code firstTarget} (target t is token t+1 of the input, scored given the
 * tokens before it). {@code topIds}/{@code topLogprobs} are null unless alternatives were asked for; {@code summary}
 * is set on the last chunk only.
 */
public record ScoreChunk(
        int firstTarget,
        double[] logprobs,
        boolean[] greedy,
        int[][] topIds,
        double[][] topLogprobs,
        ScoreSummary summary) {
    public int size() {
        return logprobs.length;
    }
}
