package ai.posemesh.evaluation.perplexity;

/**
 * Perplexity at one window length, pooled over every window of every document (token-weighted, as the reference):
 * {@code ppl = exp(nllSum / scoredTokens)}.
 *
 * @param stride the stride used (for {@code truncate}: 0, one window per document)
 * @param docs documents evaluated
 * @param windows model calls made
 * @param scoredTokens tokens counted: Σ trg_len
 * @param nllSum Σ −ln p over the counted tokens
 */
public record PerplexityResult(
        int length, int stride, boolean truncate, int docs, int windows, long scoredTokens, double nllSum) {

    public double ppl() {
        return scoredTokens == 0 ? Double.NaN : Math.exp(nllSum / scoredTokens);
    }
}
