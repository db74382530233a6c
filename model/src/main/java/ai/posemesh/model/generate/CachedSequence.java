package ai.posemesh.model.generate;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.llama.ChunkedPrefill;
import ai.posemesh.model.llama.KvCache;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;
import java.util.function.BooleanSupplier;
import java.util.function.IntConsumer;

/**
 * One sequence's incremental forward over a preallocated KV cache: a chunked prefill of the prompt, then one decoded
 * token at a time, each at the next positions, giving the logits of the last token. Positions are 0..capacity−1;
 * length-dependent RoPE (dynamic) uses one {@code ropeLength} for the whole sequence, so cached keys and new queries
 * use the same frequencies. Greedy decoding and the inference server share it, so their numbers are the same by
 * construction.
 *
 * <p>Memory: the KV cache (see {@link KvCache}) plus one chunk's activations; not thread-safe (one request owns it).
 */
public final class CachedSequence implements AutoCloseable {

    private final Llama model;
    private final NDManager manager;
    private final KvCache cache;
    private final int ropeLength;

    public CachedSequence(Llama model, int capacity, int ropeLength) {
        var c = model.config();
        this.model = model;
        this.manager = model.manager().newSubManager();
        try {
            this.cache = new KvCache(manager, c.numLayers(), 1, c.numKvHeads(), c.headDim(), capacity);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
        this.ropeLength = ropeLength;
    }

    /**
     * Chunked prefill ({@link ChunkedPrefill}) of {@code ids} at positions {@link #length()}.., at most {@code chunk}
     * tokens per forward; {@code progress} gets the tokens done after each chunk.
     *
     * @return the last token's logits [V], or null when {@code cancelled} answered true before a chunk
     */
    public float[] prefill(long[] ids, int chunk, BooleanSupplier cancelled, IntConsumer progress) {
        long[] pos = new long[ids.length];
        int past = cache.length();
        Arrays.setAll(pos, i -> past + i);
        float[][] last = {null};
        int done = ChunkedPrefill.run(model, ids, pos, cache, ropeLength, chunk, cancelled, (start, end, hidden) -> {
            if (end == ids.length) {
                last[0] = model.logits(hidden.get(end - start - 1)).toFloatArray(); // [D] → [V]
            }
            progress.accept(end);
        });
        return done == ids.length ? last[0] : null;
    }

    /** One decode step: {@code token} at position {@link #length()}; returns its logits [V]. */
    public float[] next(long token) {
        return prefill(new long[] {token}, 1, () -> false, done -> {});
    }

    /** Positions processed so far. */
    public int length() {
        return cache.length();
    }

    public int capacity() {
        return cache.capacity();
    }

    @Override
    public void close() {
        manager.close();
    }
}
