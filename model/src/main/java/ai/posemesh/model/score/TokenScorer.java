package ai.posemesh.model.score;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.llama.ChunkedPrefill;
import ai.posemesh.model.llama.KvCache;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;

/**
 * Exact token log-probabilities: {@code logprobs[i] = ln p(ids[i+1] | ids[0..i])}.
 *
 * <p>Memory stays bounded at any length: sequences longer than {@code prefillChunk} are run as chunked prefill over a
 * KV cache, and logits are formed {@code logitsBudgetFloats / vocab} rows at a time, so no [tokens × vocab] tensor
 * exists.
 */
public final class TokenScorer {

    /** How a sequence is scored. {@code window == 0} scores the whole sequence in one pass (one context). */
    public record Options(int window, int stride, int prefillChunk, long logitsBudgetFloats) {
        public static Options onePass() {
            return new Options(0, 0, 4096, 1L << 22);
        }

        /** HF-style sliding windows: W tokens per window, advancing by S < W; every token is scored exactly once. */
        public static Options sliding(int window, int stride) {
            return new Options(window, stride, 4096, 1L << 22);
        }

        public Options withPrefillChunk(int chunk) {
            return new Options(window, stride, chunk, logitsBudgetFloats);
        }
    }

    /** Scores of one sequence; {@code ppl = exp(nllSum / count)}. */
    public record Result(int tokens, double nllSum, int count, double[] tokenLogprobs) {
        public double ppl() {
            return Math.exp(nllSum / count);
        }
    }

    private TokenScorer() {}

    /**
     * Consecutive targets, as {@link #stream} delivers them: target {@code t} is {@code ids[t+1]} given the tokens
     * before it (in its window, for sliding windows). {@code greedy[i]}: the target is the most likely token there.
     * {@code topIds}/{@code topLogprobs} hold the k most likely tokens per target, best first (null when k = 0).
     */
    public record Block(int firstTarget, float[] logprobs, boolean[] greedy, int[][] topIds, float[][] topLogprobs) {
        public int size() {
            return logprobs.length;
        }
    }

    /** Scores with positions 0..N−1. */
    public static Result score(Llama model, long[] ids, Options opts) {
        return score(model, ids, null, opts);
    }

    /**
     * @param positions explicit position ids (one per token), or null for 0..N−1; ignored by sliding windows, whose
     *     windows always start at position 0
     */
    public static Result score(Llama model, long[] ids, long[] positions, Options opts) {
        validate(model, ids, positions, opts);
        double[] lp = new double[ids.length - 1];
        run(model, ids, positions, opts, 0, () -> false, b -> {
            for (int i = 0; i < b.size(); i++) {
                lp[b.firstTarget() + i] = b.logprobs()[i];
            }
        });
        double nll = 0;
        for (double v : lp) {
            nll -= v;
        }
        return new Result(ids.length, nll, lp.length, lp);
    }

    /**
     * The same numbers as {@link #score}, delivered to {@code sink} in target order a block at a time (at most one
     * prefill chunk's targets), so nothing of size tokens × anything is kept. {@code cancelled} is checked before
     * every forward chunk; when it answers true the call ends with a {@link CancellationException}.
     *
     * @param topK also find the k most likely tokens per target (0 = no)
     */
    public static void stream(
            Llama model, long[] ids, Options opts, int topK, BooleanSupplier cancelled, Consumer<Block> sink) {
        validate(model, ids, null, opts);
        if (topK < 0 || topK > model.config().vocabSize()) {
            throw new CheckpointException(null, "topK", "must be in [0, vocab_size], got " + topK);
        }
        run(model, ids, null, opts, topK, cancelled, sink);
    }

    private static void run(
            Llama model,
            long[] ids,
            long[] positions,
            Options opts,
            int topK,
            BooleanSupplier cancelled,
            Consumer<Block> sink) {
        if (opts.window() <= 0 || opts.window() >= ids.length) {
            Targets all = new Targets(0, 0, topK, cancelled, sink);
            logprobs(model, ids, positions != null ? positions : range(0, ids.length), opts, all);
            return;
        }
        int prevEnd = 0;
        for (int begin = 0; ; begin += opts.stride()) {
            int end = Math.min(begin + opts.window(), ids.length);
            long[] window = Arrays.copyOfRange(ids, begin, end);
            // score tokens t in [max(prevEnd, begin+1), end): predicted from ids[begin..t-1]
            int firstLocal = Math.max(prevEnd, begin + 1) - begin - 1;
            logprobs(
                    model,
                    window,
                    range(0, window.length),
                    opts,
                    new Targets(begin, firstLocal, topK, cancelled, sink));
            prevEnd = end;
            if (end == ids.length) {
                break;
            }
        }
    }

    /**
     * Where one context's targets go: local target r (ids[r+1] of the context) is global target {@code offset + r};
     * targets before {@code firstLocal} are not wanted (a sliding window's overlap) and never computed.
     */
    private record Targets(int offset, int firstLocal, int topK, BooleanSupplier cancelled, Consumer<Block> sink) {}

    /** ln p(ids[i+1] | ids[0..i]) for one context, by chunked prefill of {@code opts.prefillChunk()} tokens. */
    private static void logprobs(Llama model, long[] ids, long[] positions, Options opts, Targets targets) {
        int n = ids.length;
        var c = model.config();
        // a context of one chunk needs no cache: one stateless forward
        try (KvCache cache = n > opts.prefillChunk()
                ? new KvCache(model.manager(), c.numLayers(), 1, c.numKvHeads(), c.headDim(), n)
                : null) {
            int done = ChunkedPrefill.run(
                    model,
                    ids,
                    positions,
                    cache,
                    (int) (max(positions) + 1),
                    opts.prefillChunk(),
                    targets.cancelled(),
                    (start, end, hidden) -> pick(model, hidden, ids, start, end, opts.logitsBudgetFloats(), targets));
            if (done < n) {
                throw new CancellationException("scoring cancelled after " + done + " of " + n + " tokens");
            }
        }
    }

    /** Delivers the wanted targets among hidden rows [start, end), a bounded block of logits at a time. */
    private static void pick(
            Llama model, NDArray hidden, long[] ids, int start, int end, long budget, Targets targets) {
        int vocab = model.config().vocabSize();
        int last = Math.min(end, ids.length - 1); // the final token predicts nothing we can score
        int rows = (int) Math.max(1, budget / vocab);
        for (int r0 = Math.max(start, targets.firstLocal()); r0 < last; r0 += rows) {
            int r1 = Math.min(r0 + rows, last);
            try (NDScope scope = new NDScope()) {
                scope.suppressNotUsedWarning();
                NDArray h = hidden.get(new NDIndex("{}:{}", r0 - start, r1 - start)); // [r, D]
                NDArray lsm = model.logits(h).logSoftmax(-1); // [r, V]
                long[] want = Arrays.copyOfRange(ids, r0 + 1, r1 + 1);
                NDArray idx = hidden.getManager().create(want, new Shape(r1 - r0, 1));
                float[] v = lsm.gather(idx, 1).toType(DataType.FLOAT32, false).toFloatArray();
                long[] best = lsm.argMax(1).toLongArray();
                boolean[] greedy = new boolean[v.length];
                for (int i = 0; i < v.length; i++) {
                    greedy[i] = best[i] == want[i];
                }
                int[][] topIds = null;
                float[][] topLp = null;
                if (targets.topK() > 0) {
                    NDList top = lsm.topK(targets.topK(), 1, true, true); // values, indices: [r, k] each
                    float[] tv = top.get(0).toFloatArray();
                    long[] ti = top.get(1).toLongArray();
                    int k = targets.topK();
                    topIds = new int[v.length][k];
                    topLp = new float[v.length][k];
                    for (int i = 0; i < v.length; i++) {
                        for (int j = 0; j < k; j++) {
                            topIds[i][j] = (int) ti[i * k + j];
                            topLp[i][j] = tv[i * k + j];
                        }
                    }
                }
                targets.sink().accept(new Block(targets.offset() + r0, v, greedy, topIds, topLp));
            }
        }
    }

    private static void validate(Llama model, long[] ids, long[] positions, Options opts) {
        int vocab = model.config().vocabSize();
        if (ids.length < 2) {
            throw new CheckpointException(null, "ids", "need at least 2 tokens to score, got " + ids.length);
        }
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocab) {
                throw new CheckpointException(
                        null, "ids[" + i + "]", "token id " + ids[i] + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        if (positions != null) {
            if (positions.length != ids.length) {
                throw new CheckpointException(
                        null, "positions", positions.length + " position ids for " + ids.length + " tokens");
            }
            for (int i = 0; i < positions.length; i++) {
                if (positions[i] < 0) {
                    throw new CheckpointException(null, "positions[" + i + "]", "must be >= 0");
                }
            }
        }
        if (opts.window() > 0) {
            if (opts.window() < 2) {
                throw new CheckpointException(null, "window", "must be at least 2, got " + opts.window());
            }
            if (opts.stride() < 1 || opts.stride() >= opts.window()) {
                throw new CheckpointException(
                        null,
                        "stride",
                        "must be in [1, window) so every token is scored " + "once with context, got " + opts.stride()
                                + " for window " + opts.window());
            }
        }
        if (opts.prefillChunk() < 1) {
            throw new CheckpointException(null, "prefillChunk", "must be >= 1");
        }
    }

    static long[] range(long from, int n) {
        long[] r = new long[n];
        for (int i = 0; i < n; i++) {
            r[i] = from + i;
        }
        return r;
    }

    private static long max(long[] a) {
        long m = Long.MIN_VALUE;
        for (long v : a) {
            m = Math.max(m, v);
        }
        return m;
    }
}
