package ai.posemesh.evaluation.report;

import java.util.List;

/** What a report shows: plain values, filled by whoever ran the suites (the CLI, eval-service). */
public final class ReportData {

    private ReportData() {}

    /** Perplexity at one context length. */
    public record Ppl(int length, double ppl, long scoredTokens, int docs) {}

    /** Passkey accuracy at one prompt length. */
    public record Passkey(int length, int trials, int passed, double accuracy) {}

    /**
     * One evaluated model: a checkpoint of a job ({@code step} ≥ 0) or the job's base ({@code base} true).
     *
     * @param id the evaluation id (the report folder's name); a base measured inside another evaluation has that one's
     * @param label the series label in charts ("base", "step 200", or a model name)
     * @param targetLen the context the model targets (Lt; 0 when unknown)
     */
    public record Evaluation(
            String id,
            String label,
            String jobId,
            int step,
            boolean base,
            int targetLen,
            long finishedAtMs,
            List<Ppl> ppl,
            List<Passkey> passkey) {

        public Evaluation {
            ppl = List.copyOf(ppl);
            passkey = List.copyOf(passkey);
        }

        /** Perplexity at the longest length evaluated that fits the target (the longest when none fits), or NaN. */
        public double pplAtTarget() {
            Ppl best = null;
            for (Ppl p : ppl) {
                boolean fits = targetLen <= 0 || p.length() <= targetLen;
                if (fits && (best == null || p.length() > best.length())) {
                    best = p;
                }
            }
            return best == null ? Double.NaN : best.ppl();
        }

        public int targetPplLength() {
            int best = -1;
            for (Ppl p : ppl) {
                if ((targetLen <= 0 || p.length() <= targetLen) && p.length() > best) {
                    best = p.length();
                }
            }
            return best;
        }
    }

    /**
     * One passkey trial: {@code depth} is where the key sits, as a fraction of the filler (0 = first, 1 = last);
     * {@code got} is the generated text.
     */
    public record Trial(
            String model,
            String manifestSha256,
            String rope,
            int length,
            int promptTokens,
            double depth,
            int trial,
            String expected,
            String got,
            boolean passed) {}
}
