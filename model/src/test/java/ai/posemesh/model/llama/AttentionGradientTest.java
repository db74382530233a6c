package ai.posemesh.model.llama;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.posemesh.model.Engines;
import ai.posemesh.model.TinyModels;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Training depends on gradients flowing through attention: fused (TorchScript SDPA) must match plain ops. */
class AttentionGradientTest {

    static Map<String, float[]> grads(Attention attention) {
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(TinyModels.gqa(), 9, 0.3, m.newSubManager())) {
            model.useAttention(attention);
            model.weights().values().forEach(w -> w.setRequiresGradient(true));
            long[] ids = TinyModels.ids(24, 3);
            long[] pos = new long[24];
            java.util.Arrays.setAll(pos, i -> i);
            boolean prev = JniUtils.isGradMode();
            JniUtils.setGradMode(true);
            try {
                NDArray h = model.forward(m.create(ids, new Shape(1, 24)), m.create(pos, new Shape(1, 24)), null, 24);
                NDArray loss =
                        model.logits(h).logSoftmax(-1).get("0, :, 7").mean().neg();
                JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(new Shape()), false, false);
            } finally {
                JniUtils.setGradMode(prev);
            }
            Map<String, float[]> out = new LinkedHashMap<>();
            model.weights().forEach((k, w) -> out.put(k, w.getGradient().toFloatArray()));
            return out;
        }
    }

    @Test
    void fusedAttentionPassesTheSameGradientsAsPlainOps() {
        Map<String, float[]> plain = grads(Attention.plain());
        Map<String, float[]> fused = grads(Attention.fused());
        for (String k : new String[] {
            "model.layers.0.self_attn.q_proj.weight",
            "model.layers.0.self_attn.k_proj.weight",
            "model.layers.1.self_attn.v_proj.weight",
            "model.layers.0.mlp.up_proj.weight"
        }) {
            float[] a = plain.get(k);
            float[] b = fused.get(k);
            double norm = 0;
            double diff = 0;
            for (int i = 0; i < a.length; i++) {
                norm += a[i] * a[i];
                diff += (a[i] - b[i]) * (a[i] - b[i]);
            }
            assertTrue(norm > 1e-12, k + ": no gradient reaches it through plain attention");
            assertTrue(
                    Math.sqrt(diff) <= 1e-4 * Math.sqrt(norm) + 1e-7,
                    k + ": fused gradient differs, rel " + Math.sqrt(diff / norm));
        }
    }
}
