package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.rope.RotaryEmbedding;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The LLaMA decoder, whole, with HF {@code LlamaForCausalLM} semantics and HF tensor names.
 *
 * <pre>
 *   ids [B,T] ─ embed ─▶ h [B,T,D]
 *   for each layer:
 *     x = rms_norm(h)                      q = q_proj(x) [B,H,T,hd]   k,v = k_proj(x), v_proj(x) [B,KV,T,hd]
 *     q,k = rope(q,k; positions)           k,v = cache ++ k,v ; repeat KV heads H/KV times
 *     h = h + o_proj(attention(q,k,v))     (causal; queries are the last T of the keys)
 *     h = h + down_proj(silu(gate_proj(x')) * up_proj(x'))   with x' = rms_norm(h)
 *   rms_norm(h) ─ lm_head ─▶ logits [B,T,V]  (computed by the caller, in row chunks)
 * </pre>
 *
 * Positions are explicit, so the trainer can pass PoSE's skip-wise ids. All math is float32; bf16/f16 checkpoints are
 * upcast at load, as HF does when asked for float32.
 */
public final class Llama implements AutoCloseable {

    /** y = x·Wᵀ + b over the last dim: x [..., in] → y [..., out]; W [out, in], b [out] or null (no bias). */
    record Linear(NDArray weight, NDArray bias) {
        NDArray apply(NDArray x) {
            return JniUtils.linear((PtNDArray) x, (PtNDArray) weight, (PtNDArray) bias);
        }
    }

    /** HF {@code self_attn}: q [H·hd, D], k and v [KV·hd, D], o [D, H·hd]; biases iff attention_bias. */
    record SelfAttention(Linear q, Linear k, Linear v, Linear o) {}

    /** HF {@code mlp} (SwiGLU): gate_proj and up_proj [F, D], down_proj [D, F]; biases iff mlp_bias. */
    record Mlp(Linear gate, Linear up, Linear down) {
        /** down(silu(gate(x)) · up(x)): [..., D] → [..., D]. */
        NDArray apply(NDArray x) {
            NDArray g = gate.apply(x); // [..., F]
            return down.apply(g.mul(Activation.sigmoid(g)).mul(up.apply(x)));
        }
    }

    /** One decoder layer: RMSNorm weights [D] before attention and before the MLP. */
    record Layer(NDArray inputNorm, SelfAttention attn, NDArray postNorm, Mlp mlp) {}

    private final LlamaConfig config;
    private final NDManager manager;
    private final Map<String, NDArray> weights;
    private final List<String> unusedTensors;
    private final NDArray embed;
    private final NDArray finalNorm;
    private final Linear lmHead;
    private final Layer[] layers;
    private final RotaryEmbedding rope;
    private volatile Attention attention = Attention.fused();

    /**
     * @param weights float32 tensors by HF name, owned by {@code manager} (closed with this model)
     * @param source the checkpoint file the weights came from, for error messages (may be null)
     */
    public Llama(LlamaConfig config, Map<String, NDArray> weights, NDManager manager, Path source) {
        this.config = config;
        this.manager = manager;
        int d = config.hiddenSize();
        int hd = config.headDim();
        int qDim = config.numHeads() * hd;
        int kvDim = config.numKvHeads() * hd;
        int ff = config.intermediateSize();
        Tensors t = new Tensors(weights, source, new LinkedHashMap<>());
        this.embed = t.require("model.embed_tokens.weight", config.vocabSize(), d);
        this.finalNorm = t.require("model.norm.weight", d);
        this.lmHead = new Linear(
                config.tieWordEmbeddings() ? embed : t.require("lm_head.weight", config.vocabSize(), d), null);
        this.layers = new Layer[config.numLayers()];
        boolean ab = config.attentionBias();
        boolean mb = config.mlpBias();
        for (int l = 0; l < layers.length; l++) {
            String p = "model.layers." + l + ".";
            // the order of these lookups is weights()' order, so that of written safetensors files: keep it
            layers[l] = new Layer(
                    t.require(p + "input_layernorm.weight", d),
                    new SelfAttention(
                            t.linear(p + "self_attn.q_proj", ab, qDim, d),
                            t.linear(p + "self_attn.k_proj", ab, kvDim, d),
                            t.linear(p + "self_attn.v_proj", ab, kvDim, d),
                            t.linear(p + "self_attn.o_proj", ab, d, qDim)),
                    t.require(p + "post_attention_layernorm.weight", d),
                    new Mlp(
                            t.linear(p + "mlp.gate_proj", mb, ff, d),
                            t.linear(p + "mlp.up_proj", mb, ff, d),
                            t.linear(p + "mlp.down_proj", mb, d, ff)));
        }
        this.rope = new RotaryEmbedding(config.rope(), hd, config.maxPositionEmbeddings());
        this.weights = t.used();
        this.unusedTensors = new ArrayList<>();
        for (String name : weights.keySet()) {
            if (!t.used().containsKey(name) && !name.endsWith("rotary_emb.inv_freq")) {
                unusedTensors.add(name);
            }
        }
    }

    /** HF's initialisation: normal(0, 0.02) for embeddings and projections, ones for norms, zero biases. */
    public static Llama random(LlamaConfig config, long seed, NDManager manager) {
        return random(config, seed, 0.02, manager);
    }

    /** As {@link #random(LlamaConfig, long, NDManager)} with another standard deviation (HF initializer_range). */
    public static Llama random(LlamaConfig config, long seed, double std, NDManager manager) {
        SplittableRandom rng = new SplittableRandom(seed);
        Map<String, NDArray> w = new LinkedHashMap<>();
        int d = config.hiddenSize();
        int qDim = config.numHeads() * config.headDim();
        int kvDim = config.numKvHeads() * config.headDim();
        int ff = config.intermediateSize();
        w.put("model.embed_tokens.weight", normal(manager, rng, config.vocabSize(), d, std));
        for (int l = 0; l < config.numLayers(); l++) {
            String p = "model.layers." + l + ".";
            w.put(p + "input_layernorm.weight", manager.ones(new Shape(d)));
            randomLinear(w, manager, rng, std, p + "self_attn.q_proj", qDim, d, config.attentionBias());
            randomLinear(w, manager, rng, std, p + "self_attn.k_proj", kvDim, d, config.attentionBias());
            randomLinear(w, manager, rng, std, p + "self_attn.v_proj", kvDim, d, config.attentionBias());
            randomLinear(w, manager, rng, std, p + "self_attn.o_proj", d, qDim, config.attentionBias());
            w.put(p + "post_attention_layernorm.weight", manager.ones(new Shape(d)));
            randomLinear(w, manager, rng, std, p + "mlp.gate_proj", ff, d, config.mlpBias());
            randomLinear(w, manager, rng, std, p + "mlp.up_proj", ff, d, config.mlpBias());
            randomLinear(w, manager, rng, std, p + "mlp.down_proj", d, ff, config.mlpBias());
        }
        w.put("model.norm.weight", manager.ones(new Shape(d)));
        if (!config.tieWordEmbeddings()) {
            w.put("lm_head.weight", normal(manager, rng, config.vocabSize(), d, std));
        }
        return new Llama(config, w, manager, null);
    }

    private static void randomLinear(
            Map<String, NDArray> w,
            NDManager m,
            SplittableRandom rng,
            double std,
            String name,
            int out,
            int in,
            boolean bias) {
        w.put(name + ".weight", normal(m, rng, out, in, std));
        if (bias) {
            w.put(name + ".bias", m.zeros(new Shape(out)));
        }
    }

    private static NDArray normal(NDManager m, SplittableRandom rng, int rows, int cols, double std) {
        float[] data = new float[Math.multiplyExact(rows, cols)];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) (gaussian(rng) * std);
        }
        return m.create(data, new Shape(rows, cols));
    }

    private static double gaussian(SplittableRandom rng) {
        // Box–Muller; SplittableRandom has no nextGaussian on Java 17
        double u1 = 1.0 - rng.nextDouble();
        double u2 = rng.nextDouble();
        return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
    }

    // ---- forward ---------------------------------------------------------------------------------------------

    /**
     * Final hidden states (after the last RMSNorm) for a chunk of tokens.
     *
     * @param ids [B, T] int64 token ids (validated by the caller against the vocabulary)
     * @param positions [B, T] int64 position ids (explicit: PoSE passes skip-wise ids)
     * @param cache null for a stateless forward; else the chunk is appended and attends to everything cached
     * @param ropeLength the sequence length that length-dependent RoPE (dynamic) scales for; HF uses max position + 1
     * @return [B, T, D] float32, owned by the manager of {@code ids}
     */
    public NDArray forward(NDArray ids, NDArray positions, KvCache cache, int ropeLength) {
        long t = ids.getShape().get(1);
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray h = JniUtils.embedding((PtNDArray) ids, (PtNDArray) embed, false); // [B,T,D]
            NDList cs = rope.cosSin(positions, ropeLength);
            for (int l = 0; l < layers.length; l++) {
                h = layer(l, h, cs.get(0), cs.get(1), cache);
            }
            out = rmsNorm(h, finalNorm);
            NDScope.unregister(out);
        }
        if (cache != null) {
            cache.advance((int) t);
        }
        return out;
    }

    /** One pre-norm decoder layer; intermediates are freed as soon as the layer is done. */
    private NDArray layer(int l, NDArray h, NDArray cos, NDArray sin, KvCache cache) {
        Layer w = layers[l];
        long b = h.getShape().get(0);
        long t = h.getShape().get(1);
        int heads = config.numHeads();
        int kvHeads = config.numKvHeads();
        int hd = config.headDim();
        NDArray out;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = rmsNorm(h, w.inputNorm()); // [B,T,D]
            NDArray q = w.attn().q().apply(x).reshape(b, t, heads, hd).transpose(0, 2, 1, 3); // [B,H,T,hd]
            NDArray k = w.attn().k().apply(x).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3); // [B,KV,T,hd]
            NDArray v = w.attn().v().apply(x).reshape(b, t, kvHeads, hd).transpose(0, 2, 1, 3); // [B,KV,T,hd]
            q = RotaryEmbedding.apply(q, cos, sin);
            k = RotaryEmbedding.apply(k, cos, sin);
            if (cache != null) {
                NDArray[] kv = cache.append(l, k, v); // [B,KV,past+T,hd]
                k = kv[0];
                v = kv[1];
            }
            NDArray a = attention.attend(q, repeatKv(k), repeatKv(v)); // [B,H,T,hd]
            a = a.transpose(0, 2, 1, 3).reshape(b, t, (long) heads * hd); // [B,T,H·hd]
            NDArray h1 = h.add(w.attn().o().apply(a)); // [B,T,D]
            out = h1.add(w.mlp().apply(rmsNorm(h1, w.postNorm()))); // [B,T,D]
            NDScope.unregister(out);
        }
        return out;
    }

    /** GQA: KV head j serves query heads j·n .. j·n+n−1 (HF repeat_kv order). */
    private NDArray repeatKv(NDArray kv) {
        int n = config.numHeads() / config.numKvHeads();
        return n == 1 ? kv : kv.repeat(1, n);
    }

    /** HF LlamaRMSNorm: x · rsqrt(mean(x²) + eps) · w. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray variance = x.square().mean(new int[] {-1}, true);
        return x.div(variance.add(config.rmsNormEps()).sqrt()).mul(weight);
    }

    /** logits = hidden · lm_headᵀ: [..., D] → [..., V]; callers bound the rows so [rows × V] stays small. */
    public NDArray logits(NDArray hidden) {
        return lmHead.apply(hidden);
    }

    // ---- accessors -------------------------------------------------------------------------------------------

    public LlamaConfig config() {
        return config;
    }

    public RotaryEmbedding rope() {
        return rope;
    }

    /**
     * The tensors the model uses, by HF name (lm_head absent when tied), in the order the constructor looks them up:
     * embed_tokens, norm, lm_head, then each layer's.
     */
    public Map<String, NDArray> weights() {
        return weights;
    }

    public long parameterCount() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    /** Switches between fused SDPA (default) and the plain-ops reference. */
    public void useAttention(Attention a) {
        this.attention = a;
    }

    public NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        manager.close();
    }

    /** Looks up tensors by name and checks their shapes against the config, naming the tensor on error. */
    private record Tensors(Map<String, NDArray> weights, Path source, Map<String, NDArray> used) {

        NDArray require(String name, long... shape) {
            NDArray a = weights.get(name);
            if (a == null) {
                throw new CheckpointException(source, name, "tensor missing from the checkpoint");
            }
            if (!a.getShape().equals(new Shape(shape))) {
                throw new CheckpointException(
                        source,
                        name,
                        "shape " + a.getShape() + " does not match config.json, " + "which implies "
                                + new Shape(shape));
            }
            used.put(name, a);
            return a;
        }

        /** {@code name.weight} [out, in] and, when {@code bias}, {@code name.bias} [out]. */
        Linear linear(String name, boolean bias, long out, long in) {
            NDArray w = require(name + ".weight", out, in);
            return new Linear(w, bias ? require(name + ".bias", out) : null);
        }
    }

    /** Tensors in the checkpoint that this config does not use (HF ignores them with a warning; so do we). */
    public List<String> unusedTensors() {
        return unusedTensors;
    }

    @Override
    public String toString() {
        return "Llama" + Arrays.toString(new int[] {config.numLayers(), config.hiddenSize()});
    }
}
