package ai.posemesh.serve.score;

/** Exact totals over all targets: nll_sum = −Σ logprob, summed in target order (as {@code TokenScorer} sums). */
public record ScoreSummary(double nllSum, long count) {
    public double perplexity() {
        return Math.exp(nllSum / count);
    }
}
