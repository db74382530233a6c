package ai.posemesh.model.rope;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.config.RopeParameters;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;

/**
 * Every RoPE variant as one small function in one table keyed by {@code rope_type}, as HF's
 * {@code modeling_rope_utils.ROPE_INIT_FUNCTIONS}. Each returns the inverse frequencies for the {@code dim/2} rotated
 * pairs (HF rotate-half layout) and the attention factor multiplied into both cos and sin. An entry also says what
 * else callers must know about its variant ({@link Trait}).
 *
 * <p>Two variants are posemesh's own and are <b>not loadable by HF transformers</b>: {@code ntk} (static NTK-aware,
 * PoSE's {@code vanilla_ntk}, the paper's "NTK") and {@code yarn-pose} (PoSE's revised YaRN, a blend of divisors instead
 * of HF's blend of frequencies). All others follow transformers 5.18 exactly.
 */
public final class Rope {

    /** Inverse frequencies θ_i (i = 0..dim/2−1) and the factor applied to cos and sin. */
    public record Frequencies(double[] invFreq, double attentionFactor) {}

    /**
     * One variant's function. {@code seqLen} is the length the positions span (max position + 1); only
     * {@link Trait#LENGTH_DEPENDENT} variants read it.
     */
    @FunctionalInterface
    public interface Formula {
        Frequencies compute(RopeParameters p, int dim, int maxPositionEmbeddings, int seqLen);
    }

    /** What a variant is, besides its function. */
    public enum Trait {
        /** The frequencies depend on the sequence length, so they are computed per sequence, not once per model. */
        LENGTH_DEPENDENT,
        /** posemesh's own: HF transformers cannot load a checkpoint that uses it. */
        POSEMESH_ONLY,
        /**
         * Reads {@code original_max_position_embeddings}, which config.json reading sets when absent, as HF does (from
         * a top-level field, else from max_position_embeddings).
         */
        READS_ORIGINAL_MAX_POSITION_EMBEDDINGS
    }

    /** One entry of the table. */
    public record Variant(Formula formula, Set<Trait> traits) {
        public boolean lengthDependent() {
            return traits.contains(Trait.LENGTH_DEPENDENT);
        }

        public boolean hfLoadable() {
            return !traits.contains(Trait.POSEMESH_ONLY);
        }

        public boolean readsOriginalMaxPositionEmbeddings() {
            return traits.contains(Trait.READS_ORIGINAL_MAX_POSITION_EMBEDDINGS);
        }
    }

    private static final Map<String, Variant> TABLE = new TreeMap<>(Map.of(
            "default", entry(Rope::standard),
            "linear", entry(Rope::linear),
            "dynamic", entry(Rope::dynamic, Trait.LENGTH_DEPENDENT),
            "yarn", entry(Rope::yarn, Trait.READS_ORIGINAL_MAX_POSITION_EMBEDDINGS),
            "llama3", entry(Rope::llama3, Trait.READS_ORIGINAL_MAX_POSITION_EMBEDDINGS),
            "ntk", entry(Rope::ntk, Trait.POSEMESH_ONLY),
            "yarn-pose", entry(Rope::yarnPose, Trait.POSEMESH_ONLY, Trait.READS_ORIGINAL_MAX_POSITION_EMBEDDINGS)));

    private Rope() {}

    private static Variant entry(Formula formula, Trait... traits) {
        return new Variant(formula, Set.of(traits));
    }

    public static Set<String> types() {
        return TABLE.keySet();
    }

    /** The table's entry for {@code type}, if it has one. */
    public static Optional<Variant> find(String type) {
        return Optional.ofNullable(TABLE.get(type));
    }

    /** The entry for these parameters; an unknown type names the config field. */
    public static Variant variant(RopeParameters p) {
        Variant v = TABLE.get(p.type());
        if (v == null) {
            throw new CheckpointException(
                    p.file(),
                    p.section() + ".rope_type",
                    "unknown rope_type '" + p.type() + "'; known types: " + String.join(", ", TABLE.keySet()));
        }
        return v;
    }

    /** The frequencies for these parameters; an unknown type or a bad field names the config field. */
    public static Frequencies frequencies(RopeParameters p, int dim, int maxPositionEmbeddings, int seqLen) {
        return variant(p).formula().compute(p, dim, maxPositionEmbeddings, seqLen);
    }

    // ---- the variants ----------------------------------------------------------------------------------------

    /** θ_i = b^(−2i/d). */
    static Frequencies standard(RopeParameters p, int dim, int maxPos, int seqLen) {
        return new Frequencies(base(p.theta(), dim), 1.0);
    }

    /** Position interpolation (PI): θ_i / s, i.e. positions m/s. */
    static Frequencies linear(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = factor(p);
        double[] inv = base(p.theta(), dim);
        for (int i = 0; i < inv.length; i++) {
            inv[i] /= s;
        }
        return new Frequencies(inv, 1.0);
    }

    /** HF dynamic NTK: past max_position_embeddings the base grows with the length: b·((s·L/max) − (s−1))^(d/(d−2)). */
    static Frequencies dynamic(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = factor(p);
        double len = Math.max(seqLen, maxPos);
        double b = p.theta() * Math.pow((s * len / maxPos) - (s - 1), (double) dim / (dim - 2));
        return new Frequencies(base(b, dim), 1.0);
    }

    /** Static NTK-aware (PoSE {@code vanilla_ntk}): b' = b·s^(d/(d−2)); the lowest frequency becomes θ_{d/2−1}/s. */
    static Frequencies ntk(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = factor(p);
        return new Frequencies(base(p.theta() * Math.pow(s, (double) dim / (dim - 2)), dim), 1.0);
    }

    /** HF YaRN: a ramp over dims blends interpolated and original frequencies; mscale on cos and sin. */
    static Frequencies yarn(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = yarnFactor(p, maxPos);
        double[] inv = base(p.theta(), dim);
        double[] ramp = yarnRamp(p, dim);
        for (int i = 0; i < inv.length; i++) {
            double extrapolation = 1 - ramp[i];
            inv[i] = (inv[i] / s) * (1 - extrapolation) + inv[i] * extrapolation;
        }
        return new Frequencies(inv, yarnAttentionFactor(p, s));
    }

    /** PoSE's revised YaRN: the same ramp, but it blends the divisor: θ_i / ((1−E_i)·s + E_i). */
    static Frequencies yarnPose(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = yarnFactor(p, maxPos);
        double[] inv = base(p.theta(), dim);
        double[] ramp = yarnRamp(p, dim);
        for (int i = 0; i < inv.length; i++) {
            double extrapolation = 1 - ramp[i];
            inv[i] = inv[i] / ((1 - extrapolation) * s + extrapolation);
        }
        return new Frequencies(inv, yarnAttentionFactor(p, s));
    }

    /** LLaMA-3.1: long wavelengths divided by s, short ones kept, a smooth blend between. */
    static Frequencies llama3(RopeParameters p, int dim, int maxPos, int seqLen) {
        double s = factor(p);
        double low = p.requireDouble("low_freq_factor");
        double high = p.requireDouble("high_freq_factor");
        double oldContext = p.requireDouble("original_max_position_embeddings");
        double lowFreqWavelen = oldContext / low;
        double highFreqWavelen = oldContext / high;
        double[] inv = base(p.theta(), dim);
        for (int i = 0; i < inv.length; i++) {
            double wavelen = 2 * Math.PI / inv[i];
            if (wavelen > lowFreqWavelen) {
                inv[i] = inv[i] / s;
            } else if (!(wavelen < highFreqWavelen)) {
                double smooth = (oldContext / wavelen - low) / (high - low);
                inv[i] = (1 - smooth) * inv[i] / s + smooth * inv[i];
            }
        }
        return new Frequencies(inv, 1.0);
    }

    // ---- shared pieces ---------------------------------------------------------------------------------------

    private static double[] base(double theta, int dim) {
        double[] inv = new double[dim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = 1.0 / Math.pow(theta, (2.0 * i) / dim);
        }
        return inv;
    }

    private static double factor(RopeParameters p) {
        double s = p.requireDouble("factor");
        if (!(s >= 1.0)) {
            throw new CheckpointException(p.file(), p.section() + ".factor", "must be >= 1, got " + s);
        }
        return s;
    }

    /** HF: factor, or max_position_embeddings / original_max_position_embeddings when factor is null. */
    private static double yarnFactor(RopeParameters p, int maxPos) {
        Double s = p.optDouble("factor");
        if (s == null) {
            return maxPos / p.requireDouble("original_max_position_embeddings");
        }
        return factor(p);
    }

    /** ramp_i in [0,1] over the dims between the beta_fast and beta_slow correction dims (E_i = 1 − ramp_i). */
    private static double[] yarnRamp(RopeParameters p, int dim) {
        double b = p.theta();
        double betaFast = nonZero(p.optDouble("beta_fast"), 32);
        double betaSlow = nonZero(p.optDouble("beta_slow"), 1);
        double origMax = p.requireDouble("original_max_position_embeddings");
        boolean truncate = p.optBoolean("truncate", true);
        double low = correctionDim(betaFast, dim, b, origMax);
        double high = correctionDim(betaSlow, dim, b, origMax);
        if (truncate) {
            low = Math.floor(low);
            high = Math.ceil(high);
        }
        low = Math.max(low, 0);
        high = Math.min(high, dim - 1);
        if (low == high) {
            high += 0.001; // HF: prevent a singular ramp
        }
        double[] ramp = new double[dim / 2];
        for (int i = 0; i < ramp.length; i++) {
            ramp[i] = Math.min(1, Math.max(0, (i - low) / (high - low)));
        }
        return ramp;
    }

    /** The dim whose wavelength makes {@code rotations} turns over the original window. */
    private static double correctionDim(double rotations, int dim, double base, double origMax) {
        return dim * Math.log(origMax / (rotations * 2 * Math.PI)) / (2 * Math.log(base));
    }

    /** attention_factor if given, else 0.1·ln(s)+1 (or DeepSeek's mscale ratio when mscale and mscale_all_dim). */
    private static double yarnAttentionFactor(RopeParameters p, double s) {
        Double given = p.optDouble("attention_factor");
        if (given != null) {
            return given;
        }
        Double mscale = p.optDouble("mscale");
        Double mscaleAllDim = p.optDouble("mscale_all_dim");
        if (mscale != null && mscale != 0 && mscaleAllDim != null && mscaleAllDim != 0) {
            return mscale(s, mscale) / mscale(s, mscaleAllDim);
        }
        return mscale(s, 1);
    }

    private static double mscale(double s, double m) {
        return s <= 1 ? 1.0 : 0.1 * m * Math.log(s) + 1.0;
    }

    /** HF reads betas with {@code get(...) or default}: 0 and null both mean the default. */
    private static double nonZero(Double v, double dflt) {
        return v == null || v == 0 ? dflt : v;
    }
}
