package ai.posemesh.model.rope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.config.RopeParameters;

/**
 * Rotate-half RoPE driven by explicit position ids, as HF's {@code LlamaRotaryEmbedding} +
 * {@code apply_rotary_pos_emb}: angles m·θ_i in float32, emb = [mθ, mθ], x' = x·cos + rotate_half(x)·sin, with the
 * variant's attention factor multiplied into cos and sin.
 */
public final class RotaryEmbedding {

    private final RopeParameters params;
    private final int dim;
    private final int maxPositionEmbeddings;
    private final Rope.Frequencies fixed; // null for length-dependent variants (dynamic)

    public RotaryEmbedding(RopeParameters params, int headDim, int maxPositionEmbeddings) {
        this.params = params;
        this.dim = headDim;
        this.maxPositionEmbeddings = maxPositionEmbeddings;
        // computing once validates the parameters at load time, for every variant
        Rope.Frequencies atLoad = Rope.frequencies(params, headDim, maxPositionEmbeddings, maxPositionEmbeddings);
        this.fixed = Rope.variant(params).lengthDependent() ? null : atLoad;
    }

    /** The frequencies in force for positions spanning {@code ropeLength} (= max position + 1). */
    public Rope.Frequencies frequencies(int ropeLength) {
        return fixed != null ? fixed : Rope.frequencies(params, dim, maxPositionEmbeddings, ropeLength);
    }

    /**
     * cos and sin for the given positions.
     *
     * @param positions [B, T] int64
     * @param ropeLength the length the dynamic variant scales for (HF: max position + 1 of the whole sequence)
     * @return cos, sin: [B, 1, T, dim] float32, ready to broadcast over heads
     */
    public NDList cosSin(NDArray positions, int ropeLength) {
        Rope.Frequencies f = frequencies(ropeLength);
        NDManager m = positions.getManager();
        float[] inv32 = new float[f.invFreq().length];
        for (int i = 0; i < inv32.length; i++) {
            inv32[i] = (float) f.invFreq()[i];
        }
        NDArray inv = m.create(inv32); // [dim/2]
        NDArray angles =
                positions.toType(DataType.FLOAT32, false).expandDims(-1).mul(inv); // [B,T,dim/2]
        NDArray emb = angles.concat(angles, -1).expandDims(1); // [B,1,T,dim]
        float att = (float) f.attentionFactor();
        NDArray cos = emb.cos();
        NDArray sin = emb.sin();
        if (att != 1.0f) {
            cos = cos.mul(att);
            sin = sin.mul(att);
        }
        return new NDList(cos, sin);
    }

    /** x' = x·cos + rotate_half(x)·sin for x: [B, H, T, dim]. */
    public static NDArray apply(NDArray x, NDArray cos, NDArray sin) {
        return x.mul(cos).add(rotateHalf(x).mul(sin));
    }

    /** [x1, x2] → [−x2, x1] over the last axis. */
    static NDArray rotateHalf(NDArray x) {
        int last = x.getShape().dimension() - 1;
        NDList halves = x.split(2, last);
        return halves.get(1).neg().concat(halves.get(0), last);
    }

    public int dim() {
        return dim;
    }
}
