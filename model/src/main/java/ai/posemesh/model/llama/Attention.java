package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;

/**
 * Causal attention where the queries are the last {@code Tq} positions of the {@code Tk} keys (Tq == Tk for a plain
 * forward; Tq < Tk for chunked prefill and decode). Query i (0-based within the chunk) sees keys 0..(Tk−Tq+i).
 * Scale 1/√head_dim, as HF LLaMA.
 */
public interface Attention {

    /**
     * @param q [B, H, Tq, hd]
     * @param k [B, H, Tk, hd] (KV heads already repeated to H)
     * @param v [B, H, Tk, hd]
     * @return [B, H, Tq, hd]
     */
    NDArray attend(NDArray q, NDArray k, NDArray v);

    /** Plain ops: materialises the [Tq, Tk] score matrix per head. The reference, and the fallback. */
    static Attention plain() {
        return PlainAttention.INSTANCE;
    }

    /** torch's fused scaled_dot_product_attention, reached through a generated TorchScript module. */
    static Attention fused() {
        return FusedAttention.instance();
    }
}
