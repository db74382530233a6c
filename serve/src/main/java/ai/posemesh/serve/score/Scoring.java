package ai.posemesh.serve.score;

import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;
import java.util.concurrent.CancellationException;
import java.util.function.Consumer;

/**
 * One admitted Score request: {@link TokenScorer#stream}'s numbers (the same as {@code ./pose score}), regrouped
 * into chunks of {@code chunkTokens} targets. Holds its model and its budget reservation until {@link #close()}.
 *
 * <p>Memory: one context's KV cache (the whole sequence, or one window) plus one prefill chunk's activations and a
 * bounded block of logits (TokenScorer's 4 Mi floats); only the current chunk's numbers are kept.
 */
public final class Scoring implements AutoCloseable {

    private final ModelRegistry.Lease lease;
    private final TokenBudget.Reservation reservation;
    private final long[] ids;
    private final TokenScorer.Options options;
    private final ScoreOptions score;

    public Scoring(
            ModelRegistry.Lease lease,
            TokenBudget.Reservation reservation,
            long[] ids,
            TokenScorer.Options options,
            ScoreOptions score) {
        this.lease = lease;
        this.reservation = reservation;
        this.ids = ids;
        this.options = options;
        this.score = score;
    }

    public int tokens() {
        return ids.length;
    }

    public LoadedModel model() {
        return lease.model();
    }

    /** @return the totals, or null when cancelled (chunks delivered so far stay delivered) */
    public ScoreSummary run(Consumer<ScoreChunk> sink, Cancellation cancel) {
        Chunker chunker = new Chunker(ids.length - 1, score.chunkTokens(), score.topLogprobs() > 0, sink);
        try {
            TokenScorer.stream(lease.model().llama(), ids, options, score.topLogprobs(), cancel, chunker::add);
        } catch (CancellationException e) {
            return null;
        }
        return chunker.summary;
    }

    @Override
    public void close() {
        reservation.close();
        lease.close();
    }

    /** Regroups the scorer's blocks into chunks of a fixed size; the last one carries the summary. */
    private static final class Chunker {
        private final int total;
        private final boolean top;
        private final Consumer<ScoreChunk> sink;
        private final double[] lp;
        private final boolean[] greedy;
        private final int[][] topIds;
        private final double[][] topLp;
        private int first;
        private int filled;
        private double nll;
        private ScoreSummary summary;

        Chunker(int total, int size, boolean top, Consumer<ScoreChunk> sink) {
            this.total = total;
            this.top = top;
            this.sink = sink;
            int n = Math.min(size, total);
            this.lp = new double[n];
            this.greedy = new boolean[n];
            this.topIds = top ? new int[n][] : null;
            this.topLp = top ? new double[n][] : null;
        }

        void add(TokenScorer.Block b) {
            for (int i = 0; i < b.size(); i++) {
                lp[filled] = b.logprobs()[i];
                nll -= lp[filled];
                greedy[filled] = b.greedy()[i];
                if (top) {
                    topIds[filled] = b.topIds()[i];
                    float[] v = b.topLogprobs()[i];
                    topLp[filled] = new double[v.length];
                    for (int j = 0; j < v.length; j++) {
                        topLp[filled][j] = v[j];
                    }
                }
                filled++;
                if (filled == lp.length || first + filled == total) {
                    emit();
                }
            }
        }

        private void emit() {
            boolean last = first + filled == total;
            if (last) {
                summary = new ScoreSummary(nll, total);
            }
            sink.accept(new ScoreChunk(
                    first,
                    java.util.Arrays.copyOf(lp, filled),
                    java.util.Arrays.copyOf(greedy, filled),
                    top ? java.util.Arrays.copyOf(topIds, filled) : null,
                    top ? java.util.Arrays.copyOf(topLp, filled) : null,
                    last ? summary : null));
            first += filled;
            filled = 0;
        }
    }
}
