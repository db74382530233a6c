package ai.posemesh.model.config;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.rope.Rope;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * HF {@code LlamaConfig} semantics: the fields and defaults that {@code LlamaForCausalLM} reads from config.json.
 * RoPE is read from either layout — current ({@code rope_parameters} holding {@code rope_theta}) or legacy (top-level
 * {@code rope_theta} plus {@code rope_scaling} with {@code type} or {@code rope_type}) — and normalised to one
 * {@link RopeParameters}.
 */
public record LlamaConfig(
        int vocabSize,
        int hiddenSize,
        int intermediateSize,
        int numLayers,
        int numHeads,
        int numKvHeads,
        int headDim,
        int maxPositionEmbeddings,
        double rmsNormEps,
        boolean tieWordEmbeddings,
        boolean attentionBias,
        boolean mlpBias,
        Integer bosTokenId,
        int[] eosTokenIds,
        Integer padTokenId,
        String dtype,
        RopeParameters rope) {

    /** How config.json carries RoPE. */
    public enum Layout {
        /** transformers ≥ 5: {@code rope_parameters}. */
        CURRENT,
        /** transformers 4.x: {@code rope_theta} + {@code rope_scaling}; also read by 5.x, so the default for writing. */
        LEGACY
    }

    public LlamaConfig {
        if (numKvHeads <= 0 || numHeads % numKvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads (" + numHeads
                    + ") must be a positive multiple of num_key_value_heads (" + numKvHeads + ")");
        }
    }

    /** LLaMA's SwiGLU width for hidden size d: 8d/3 rounded up to a multiple of 16 (688 for d=256). */
    public static int defaultIntermediateSize(int hidden) {
        return (int) Math.ceil(8.0 * hidden / 3 / 16) * 16;
    }

    /** {@code max_position_embeddings / factor} style base length, as the scaling declares it (Lc). */
    public int originalMaxPositionEmbeddings() {
        Double orig = rope.optDouble("original_max_position_embeddings");
        if (orig != null) {
            return orig.intValue();
        }
        Double factor = rope.optDouble("factor");
        return factor == null ? maxPositionEmbeddings : (int) Math.round(maxPositionEmbeddings / factor);
    }

    public static LlamaConfig read(Path file) {
        JsonNode root = ConfigJson.read(file);
        if (!root.isObject()) {
            throw new CheckpointException(file, null, "must hold a JSON object");
        }
        Fields f = new Fields(root, file);
        String modelType = root.path("model_type").asText("llama");
        if (!modelType.equals("llama")) {
            throw new CheckpointException(
                    file,
                    "model_type",
                    "'" + modelType + "' is not supported; posemesh implements LlamaForCausalLM (model_type 'llama')");
        }
        String act = root.path("hidden_act").asText("silu");
        if (!act.equals("silu")) {
            throw new CheckpointException(file, "hidden_act", "'" + act + "' is not supported; LLaMA uses 'silu'");
        }
        int hidden = f.positiveInt("hidden_size", null);
        int heads = f.positiveInt("num_attention_heads", null);
        int kvHeads = f.positiveInt("num_key_value_heads", heads);
        if (heads % kvHeads != 0) {
            throw new CheckpointException(
                    file, "num_key_value_heads", kvHeads + " does not divide num_attention_heads " + heads);
        }
        Integer headDimField = root.hasNonNull("head_dim") ? f.positiveInt("head_dim", null) : null;
        if (headDimField == null && hidden % heads != 0) {
            throw new CheckpointException(
                    file,
                    "hidden_size",
                    hidden + " is not divisible by num_attention_heads " + heads + " and no head_dim is given");
        }
        int headDim = headDimField != null ? headDimField : hidden / heads;
        if (headDim % 2 != 0) {
            throw new CheckpointException(file, "head_dim", "must be even for rotate-half RoPE, got " + headDim);
        }
        double eps = root.hasNonNull("rms_norm_eps") ? f.positiveDouble("rms_norm_eps") : 1e-6;
        int maxPos = f.positiveInt("max_position_embeddings", 2048);
        String dtype = root.hasNonNull("dtype")
                ? root.get("dtype").asText()
                : root.path("torch_dtype").asText("float32");
        RopeParameters rope = readRope(root, file, maxPos);
        Rope.frequencies(rope, headDim, maxPos, maxPos); // validates type and fields now, naming the field
        return new LlamaConfig(
                f.positiveInt("vocab_size", 32000),
                hidden,
                f.positiveInt("intermediate_size", null),
                f.positiveInt("num_hidden_layers", null),
                heads,
                kvHeads,
                headDim,
                maxPos,
                eps,
                f.bool("tie_word_embeddings", false),
                f.bool("attention_bias", false),
                f.bool("mlp_bias", false),
                f.optInt("bos_token_id"),
                f.intList("eos_token_id"),
                f.optInt("pad_token_id"),
                dtype,
                rope);
    }

    /** Both layouts, normalised as HF's {@code standardize_rope_params} does. */
    private static RopeParameters readRope(JsonNode root, Path file, int maxPos) {
        ObjectNode params;
        String section;
        JsonNode current = root.get("rope_parameters");
        JsonNode legacy = root.get("rope_scaling");
        // as transformers 5.18: a non-empty rope_scaling wins over rope_parameters entirely
        if (legacy != null && !legacy.isNull() && !(legacy.isObject() && legacy.isEmpty())) {
            if (!legacy.isObject()) {
                throw new CheckpointException(file, "rope_scaling", "must be an object or null, got " + legacy);
            }
            params = ((ObjectNode) legacy).deepCopy();
            section = "rope_scaling";
        } else if (current != null && !current.isNull()) {
            if (!current.isObject()) {
                throw new CheckpointException(file, "rope_parameters", "must be an object, got " + current);
            }
            params = ((ObjectNode) current).deepCopy();
            section = "rope_parameters";
        } else {
            params = JsonNodeFactory.instance.objectNode();
            section = "rope_parameters";
        }
        if (!params.hasNonNull("rope_type")) {
            params.put("rope_type", params.path("type").asText("default"));
        }
        params.remove("type");
        if (!params.hasNonNull("rope_theta")) {
            JsonNode theta = root.get("rope_theta");
            if (theta != null && !theta.isNull() && !theta.isNumber()) {
                throw new CheckpointException(file, "rope_theta", "must be a number, got " + theta);
            }
            params.put("rope_theta", theta == null || theta.isNull() ? 10000.0 : theta.asDouble());
        }
        JsonNode prf = root.hasNonNull("partial_rotary_factor")
                ? root.get("partial_rotary_factor")
                : params.get("partial_rotary_factor");
        if (prf != null && !prf.isNull() && prf.asDouble() != 1.0) {
            throw new CheckpointException(
                    file, "partial_rotary_factor", prf + " is not supported: LLaMA rotates the whole head");
        }
        String type = params.get("rope_type").asText();
        // an unknown type (HF's longrope among them) is refused by Rope.frequencies below
        if (Rope.find(type)
                .map(Rope.Variant::readsOriginalMaxPositionEmbeddings)
                .orElse(false)) {
            // HF gives a top-level original_max_position_embeddings priority (Phi-3 style), else defaults it.
            if (root.hasNonNull("original_max_position_embeddings")) {
                params.set("original_max_position_embeddings", root.get("original_max_position_embeddings"));
            } else if (!params.hasNonNull("original_max_position_embeddings")) {
                params.put("original_max_position_embeddings", maxPos);
            }
        }
        return new RopeParameters(params, file, section);
    }

    /** config.json content for this config, loadable by HF transformers as {@code LlamaForCausalLM}. */
    public ObjectNode toJson(Layout layout) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.putArray("architectures").add("LlamaForCausalLM");
        o.put("model_type", "llama");
        o.put("vocab_size", vocabSize);
        o.put("hidden_size", hiddenSize);
        o.put("intermediate_size", intermediateSize);
        o.put("num_hidden_layers", numLayers);
        o.put("num_attention_heads", numHeads);
        o.put("num_key_value_heads", numKvHeads);
        o.put("head_dim", headDim);
        o.put("hidden_act", "silu");
        o.put("max_position_embeddings", maxPositionEmbeddings);
        o.put("rms_norm_eps", rmsNormEps);
        o.put("tie_word_embeddings", tieWordEmbeddings);
        o.put("attention_bias", attentionBias);
        o.put("attention_dropout", 0.0);
        o.put("mlp_bias", mlpBias);
        o.put("initializer_range", 0.02);
        o.put("use_cache", true);
        if (bosTokenId != null) {
            o.put("bos_token_id", bosTokenId);
        }
        if (eosTokenIds.length == 1) {
            o.put("eos_token_id", eosTokenIds[0]);
        } else if (eosTokenIds.length > 1) {
            ArrayNode a = o.putArray("eos_token_id");
            Arrays.stream(eosTokenIds).forEach(a::add);
        }
        if (padTokenId != null) {
            o.put("pad_token_id", padTokenId);
        }
        o.put("dtype", dtype);
        if (layout == Layout.CURRENT) {
            o.set("rope_parameters", rope.toJson());
        } else {
            o.put("rope_theta", rope.theta());
            if (rope.type().equals("default")) {
                o.putNull("rope_scaling");
            } else {
                ObjectNode scaling = o.putObject("rope_scaling");
                scaling.put("rope_type", rope.type());
                scaling.setAll(rope.scalingFields());
            }
        }
        return o;
    }

    /** The same config with another weight dtype recorded ("float32", "bfloat16", "float16"). */
    public LlamaConfig withDtype(String newDtype) {
        return new LlamaConfig(
                vocabSize,
                hiddenSize,
                intermediateSize,
                numLayers,
                numHeads,
                numKvHeads,
                headDim,
                maxPositionEmbeddings,
                rmsNormEps,
                tieWordEmbeddings,
                attentionBias,
                mlpBias,
                bosTokenId,
                eosTokenIds,
                padTokenId,
                newDtype,
                rope);
    }

    /** Typed field access that names the field on error. */
    private record Fields(JsonNode root, Path file) {

        int positiveInt(String name, Integer dflt) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) {
                if (dflt == null) {
                    throw new CheckpointException(file, name, "missing (required)");
                }
                return dflt;
            }
            if (!n.canConvertToInt() || !n.isIntegralNumber() || n.asInt() <= 0) {
                throw new CheckpointException(file, name, "must be a positive integer, got " + n);
            }
            return n.asInt();
        }

        Integer optInt(String name) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) {
                return null;
            }
            if (!n.isIntegralNumber()) {
                throw new CheckpointException(file, name, "must be an integer, got " + n);
            }
            return n.asInt();
        }

        int[] intList(String name) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) {
                return new int[0];
            }
            if (n.isIntegralNumber()) {
                return new int[] {n.asInt()};
            }
            if (n.isArray()) {
                int[] out = new int[n.size()];
                for (int i = 0; i < out.length; i++) {
                    if (!n.get(i).isIntegralNumber()) {
                        throw new CheckpointException(file, name + "[" + i + "]", "must be an integer");
                    }
                    out[i] = n.get(i).asInt();
                }
                return out;
            }
            throw new CheckpointException(file, name, "must be an integer or a list of integers, got " + n);
        }

        double positiveDouble(String name) {
            JsonNode n = root.get(name);
            if (!n.isNumber() || !(n.asDouble() > 0)) {
                throw new CheckpointException(file, name, "must be a positive number, got " + n);
            }
            return n.asDouble();
        }

        boolean bool(String name, boolean dflt) {
            JsonNode n = root.get(name);
            if (n == null || n.isNull()) {
                return dflt;
            }
            if (!n.isBoolean()) {
                throw new CheckpointException(file, name, "must be true or false, got " + n);
            }
            return n.asBoolean();
        }
    }
}
