package ai.posemesh.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.llama.KvCache;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;
import java.util.Set;

/**
 * Greedy generation over a KV cache: chunked prefill of the prompt, then one token per step. Positions are 0..n−1;
 * length-dependent RoPE (dynamic) is fixed for the whole request at prompt + max_new_tokens, so cached keys and new
 * queries always use the same frequencies (HF instead recomputes per step as the sequence grows).
 */
public final class GreedyDecoder {

    private GreedyDecoder() {}

    /**
     * @return the generated ids (without the prompt), stopping after {@code maxNew} tokens or at a stop id (included)
     */
    public static long[] generate(Llama model, long[] prompt, int maxNew, Set<Long> stopIds, int prefillChunk) {
        var c = model.config();
        if (prompt.length == 0) {
            throw new CheckpointException(null, "prompt", "is empty");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= c.vocabSize()) {
                throw new CheckpointException(null, "prompt[" + i + "]",
                        "token id " + prompt[i] + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
        int total = prompt.length + maxNew;
        long[] out = new long[maxNew];
        int n = 0;
        try (NDManager m = model.manager().newSubManager();
                KvCache cache = new KvCache(m, c.numLayers(), 1, c.numKvHeads(), c.headDim(), total)) {
            NDArray last = null;
            for (int start = 0; start < prompt.length; start += prefillChunk) {
                int end = Math.min(start + prefillChunk, prompt.length);
                last = step(model, m, cache, Arrays.copyOfRange(prompt, start, end), start, total);
            }
            while (n < maxNew) {
                long next = last.argMax().getLong();
                last.close();
                out[n++] = next;
                if (stopIds.contains(next) || n == maxNew) {
                    break;
                }
                last = step(model, m, cache, new long[] {next}, prompt.length + n - 1, total);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** Runs a chunk through the model and returns the logits of its last position, [V]. */
    private static NDArray step(Llama model, NDManager m, KvCache cache, long[] ids, int firstPos, int ropeLength) {
        try (NDManager s = m.newSubManager()) {
            long[] pos = new long[ids.length];
            for (int i = 0; i < ids.length; i++) {
                pos[i] = firstPos + i;
            }
            NDArray hidden = model.forward(s.create(ids, new Shape(1, ids.length)),
                    s.create(pos, new Shape(1, ids.length)), cache, ropeLength);
            NDArray logits = model.logits(hidden.get(new NDIndex("0, -1"))); // [V]
            logits.attach(m);
            return logits;
        }
    }
}
