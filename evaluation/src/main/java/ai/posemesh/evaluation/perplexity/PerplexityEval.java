package ai.posemesh.evaluation.perplexity;

import ai.posemesh.corpus.Document;
import ai.posemesh.evaluation.EvalBackend;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.Progress;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Sliding-window perplexity exactly as the PoSE reference's {@code eval_ppl.py} computes it, on any
 * {@link EvalBackend}:
 *
 * <ol>
 *   <li>each document is tokenized without special tokens and cut to {@code maxTokens − 1} tokens; documents with at
 *       least {@code minTokens − 1} tokens are kept, in corpus order, and the <b>first</b> {@code docs} of them are
 *       evaluated (the paper says "randomly select"; its code takes the first);
 *   <li>at window length W each document is covered by {@link Windows#sliding} (or, with {@code truncate}, its first W
 *       − 1 tokens in one window); every window is BOS + its tokens, scored in one pass from position 0;
 *   <li>only the tokens the previous window did not score count (the first real token of a document is predicted from
 *       BOS alone); PPL = exp(Σ NLL / Σ counted tokens) over all windows and documents.
 * </ol>
 *
 * <p>Differences from the reference that do not change the protocol: the model computes in float32 (the reference ran
 * fp16), and the NLL is summed token by token in double instead of as each window's mean × trg_len. A stride larger
 * than W − 1, which the reference would accept while counting tokens no window scores, is refused. posemesh's
 * defaults ({@link PerplexitySpec#defaults}) are smaller than the reference's (stride W / 2 instead of a fixed 256, 10
 * documents instead of 50) so that a 2-core machine finishes; every one of them can be set.
 */
public final class PerplexityEval {

    /** Documents chosen for a run, tokenized and cut: what every length evaluates. */
    public record Selection(List<String> ids, List<long[]> tokens) {
        public int size() {
            return tokens.size();
        }
    }

    private final EvalBackend backend;

    public PerplexityEval(EvalBackend backend) {
        this.backend = backend;
    }

    /**
     * The whole suite: checks the spec, selects the documents once, and evaluates every length in order.
     *
     * @param corpus documents in corpus order (e.g. {@code Corpus.load(...)})
     * @param progress scored tokens done / total at each length
     */
    public PerplexityReport run(List<Document> corpus, PerplexitySpec spec, Progress progress) {
        spec.validate(backend);
        Selection docs = select(corpus, spec);
        List<PerplexityResult> results = new ArrayList<>();
        for (int w : spec.lengths()) {
            results.add(evaluate(docs, w, spec, progress));
        }
        return new PerplexityReport(backend.model(), spec, docs.ids(), results);
    }

    /**
     * Tokenizes documents in order (without special tokens), cuts each to {@code maxTokens − 1}, keeps those with at
     * least {@code minTokens − 1} tokens and stops after the first {@code docs}. Documents after those are never
     * tokenized.
     *
     * @throws EvalException (field {@code data}) when no document is long enough
     */
    public Selection select(List<Document> corpus, PerplexitySpec spec) {
        List<String> ids = new ArrayList<>();
        List<long[]> tokens = new ArrayList<>();
        int longest = 0;
        for (Document d : corpus) {
            if (tokens.size() == spec.docs()) {
                break;
            }
            long[] t = backend.encode(d.text(), false);
            if (t.length > spec.maxTokens() - 1) {
                t = Arrays.copyOf(t, spec.maxTokens() - 1);
            }
            longest = Math.max(longest, t.length);
            if (t.length >= spec.minTokens() - 1) {
                ids.add(d.id());
                tokens.add(t);
            }
        }
        if (tokens.isEmpty()) {
            throw new EvalException(
                    "data",
                    "no document has at least min-tokens − 1 = " + (spec.minTokens() - 1) + " tokens (the longest of "
                            + corpus.size() + " has " + longest + "); lower --min-tokens or use longer documents");
        }
        return new Selection(List.copyOf(ids), List.copyOf(tokens));
    }

    /** Perplexity of the selected documents at window length {@code window}. */
    public PerplexityResult evaluate(Selection docs, int window, PerplexitySpec spec, Progress progress) {
        int stride = spec.truncate() ? 0 : spec.strideFor(window);
        List<List<Windows.Window>> plans = new ArrayList<>();
        long total = 0;
        for (long[] doc : docs.tokens()) {
            List<Windows.Window> plan = spec.truncate()
                    ? Windows.truncated(doc.length, window)
                    : Windows.sliding(doc.length, window, stride);
            plans.add(plan);
            total += Windows.scored(plan);
        }
        long bos = backend.model().bosTokenId();
        double nll = 0;
        long scored = 0;
        int calls = 0;
        progress.update(window, 0, total);
        for (int d = 0; d < plans.size(); d++) {
            long[] doc = docs.tokens().get(d);
            for (Windows.Window w : plans.get(d)) {
                long[] input = new long[w.tokens() + 1];
                input[0] = bos;
                System.arraycopy(doc, w.begin(), input, 1, w.tokens());
                double[] lp = backend.score(input); // lp[i]: token input[i+1] = doc[begin + i]
                for (int t = w.scoredFrom(); t < w.end(); t++) {
                    nll -= lp[t - w.begin()];
                }
                scored += w.scored();
                calls++;
                progress.update(window, scored, total);
            }
        }
        return new PerplexityResult(window, stride, spec.truncate(), docs.size(), calls, scored, nll);
    }
}
