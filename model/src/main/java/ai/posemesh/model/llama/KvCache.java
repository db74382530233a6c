package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Per-layer keys and values of the positions seen so far, preallocated for {@code capacity} positions so appending a
 * chunk is an in-place copy (no O(T²) re-concatenation during decode). Keys are stored already rotated, with the KV
 * head count of the checkpoint (GQA heads are repeated only when attending). Memory:
 * 2 · layers · B · kv_heads · capacity · head_dim · 4 bytes.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private final int capacity;
    private int length;

    public KvCache(NDManager parent, int layers, int batch, int kvHeads, int headDim, int capacity) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
        Shape shape = new Shape(batch, kvHeads, capacity, headDim);
        for (int l = 0; l < layers; l++) {
            keys[l] = manager.zeros(shape, DataType.FLOAT32);
            values[l] = manager.zeros(shape, DataType.FLOAT32);
        }
    }

    /** Positions already cached. */
    public int length() {
        return length;
    }

    public int capacity() {
        return capacity;
    }

    /**
     * Writes this chunk's keys and values for {@code layer} at the end of the cache and returns views of everything
     * cached so far, [B, kv, length + T, hd]. {@link #advance(int)} commits the chunk after the last layer.
     */
    NDArray[] append(int layer, NDArray k, NDArray v) {
        long t = k.getShape().get(2);
        if (length + t > capacity) {
            throw new IllegalStateException("KV cache full: " + length + " + " + t + " > capacity " + capacity);
        }
        NDIndex chunk = new NDIndex(":, :, {}:{}", length, length + t);
        keys[layer].set(chunk, k);
        values[layer].set(chunk, v);
        NDIndex upTo = new NDIndex(":, :, :{}", length + t);
        return new NDArray[] {keys[layer].get(upTo), values[layer].get(upTo)};
    }

    void advance(int t) {
        length += t;
    }

    /** Drops everything after the first {@code newLength} positions (e.g. to reuse a shared prefix). */
    public void truncate(int newLength) {
        if (newLength < 0 || newLength > length) {
            throw new IllegalArgumentException("cannot truncate a cache of " + length + " to " + newLength);
        }
        length = newLength;
    }

    @Override
    public void close() {
        manager.close();
    }
}
