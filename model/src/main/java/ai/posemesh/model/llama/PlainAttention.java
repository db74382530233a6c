package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/** softmax(q·kᵀ/√d + mask)·v with plain DJL ops; memory O(B·H·Tq·Tk). */
final class PlainAttention implements Attention {

    static final PlainAttention INSTANCE = new PlainAttention();

    private PlainAttention() {}

    @Override
    public NDArray attend(NDArray q, NDArray k, NDArray v) {
        long tq = q.getShape().get(2);
        long tk = k.getShape().get(2);
        double scale = 1.0 / Math.sqrt(q.getShape().get(3));
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2)).mul(scale); // [B,H,Tq,Tk]
        NDManager m = scores.getManager();
        // key j is visible to query i iff j <= (tk - tq) + i
        NDArray qi = m.arange(tq).reshape(tq, 1).add(tk - tq);
        NDArray kj = m.arange(tk).reshape(1, tk);
        NDArray visible = kj.lte(qi); // [Tq,Tk]
        Shape square = new Shape(tq, tk);
        NDArray bias = NDArrays.where(
                visible,
                m.zeros(square, scores.getDataType()),
                m.full(square, Float.NEGATIVE_INFINITY, scores.getDataType())); // 0 or −inf, broadcast over B,H
        return scores.add(bias).softmax(-1).matMul(v);
    }
}
