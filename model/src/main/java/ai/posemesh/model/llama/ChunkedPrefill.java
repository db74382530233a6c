package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.function.BooleanSupplier;

/**
 * Chunked prefill, the one loop behind scoring ({@code TokenScorer}) and generation ({@code CachedSequence}, used by
 * greedy decoding and the inference server): a sequence runs through the decoder at most {@code chunk} tokens per
 * forward, each chunk's keys and values appended to a KV cache that later chunks attend to. Activations, the causal
 * mask and the attention work space are then O(chunk × length) instead of O(length²), with the same numbers as one
 * pass.
 */
public final class ChunkedPrefill {

    /** Receives one chunk's final hidden states, [C, D] for tokens [start, end); they are freed when it returns. */
    @FunctionalInterface
    public interface ChunkSink {
        void accept(int start, int end, NDArray hidden);
    }

    private ChunkedPrefill() {}

    /**
     * Runs {@code ids} at {@code positions} (one each) through {@code model}, chunk by chunk, in order.
     *
     * @param cache the KV cache the chunks append to (room for every token); null for one stateless forward, allowed
     *     only when the sequence is a single chunk
     * @param ropeLength the length length-dependent RoPE (dynamic) scales for, the same for every chunk
     * @param cancelled checked before every chunk: true stops there
     * @return the tokens run: all of them, or fewer when cancelled
     */
    public static int run(
            Llama model,
            long[] ids,
            long[] positions,
            KvCache cache,
            int ropeLength,
            int chunk,
            BooleanSupplier cancelled,
            ChunkSink sink) {
        int n = ids.length;
        if (chunk < 1 || positions.length != n || (cache == null && n > chunk)) {
            throw new IllegalArgumentException("prefill of " + n + " tokens at " + positions.length
                    + " positions in chunks of " + chunk + (cache == null ? " without a KV cache" : ""));
        }
        for (int start = 0; start < n; start += chunk) {
            if (cancelled.getAsBoolean()) {
                return start;
            }
            int end = Math.min(start + chunk, n);
            // everything a chunk allocates (the forward's intermediates included) is freed when it is done
            try (NDManager m = model.manager().newSubManager()) {
                NDArray x = m.create(Arrays.copyOfRange(ids, start, end), new Shape(1, end - start)); // [1,C]
                NDArray p = m.create(Arrays.copyOfRange(positions, start, end), new Shape(1, end - start)); // [1,C]
                NDArray hidden = model.forward(x, p, cache, ropeLength).squeeze(0); // [C,D]
                sink.accept(start, end, hidden);
            }
        }
        return n;
    }
}
