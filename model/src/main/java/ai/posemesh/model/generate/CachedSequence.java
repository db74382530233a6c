package ai.posemesh.model.generate;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.llama.KvCache;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;

/**
 * One sequence's incremental forward over a preallocated KV cache: feed tokens (a prefill chunk or one decoded token)
 * at the next positions and get the logits of the last one. Positions are 0..capacity−1; length-dependent RoPE
 * (dynamic) uses one {@code ropeLength} for the whole sequence, so cached keys and new queries use the same frequencies.
 * Greedy decoding and the inference server share it, so their numbers are the same by construction.
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

    /** Runs {@code ids[from, to)} at positions {@link #length()}.. and returns the last one's logits [V]. */
    public float[] append(long[] ids, int from, int to) {
        int n = to - from;
        long[] pos = new long[n];
        Arrays.setAll(pos, i -> cache.length() + i);
        try (NDManager s = manager.newSubManager()) {
            NDArray hidden = model.forward(
                    s.create(Arrays.copyOfRange(ids, from, to), new Shape(1, n)),
                    s.create(pos, new Shape(1, n)),
                    cache,
                    ropeLength);
            return model.logits(hidden.get(new NDIndex("0, -1"))).toFloatArray();
        }
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
