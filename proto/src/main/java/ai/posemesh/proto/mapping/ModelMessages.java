package ai.posemesh.proto.mapping;

import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.proto.model.v1.ModelArchitecture;
import ai.posemesh.proto.model.v1.RopeConfig;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/**
 * The model library's config as the shared {@code posemesh.model.v1} messages: the one mapping that the inference
 * API (GetModelInfo), the trainer's CheckpointPublished and the eval-service use. It needs {@code posemesh-model} on
 * the class path, which is an optional dependency of this jar: a plain client reads the messages without libtorch.
 */
public final class ModelMessages {

    /** The RoPE fields RopeConfig types; the rest travel in {@code extra} as JSON values. */
    private static final Set<String> ROPE_TYPED_FIELDS =
            Set.of("rope_type", "type", "rope_theta", "factor", "original_max_position_embeddings");

    private ModelMessages() {}

    /** config.json's RoPE block as a RopeConfig (type-specific fields such as beta_fast as JSON text in extra). */
    public static RopeConfig rope(RopeParameters rope) {
        RopeConfig.Builder b = RopeConfig.newBuilder().setRopeType(rope.type()).setRopeTheta(rope.theta());
        Double factor = rope.optDouble("factor");
        if (factor != null) {
            b.setFactor(factor);
        }
        Double orig = rope.optDouble("original_max_position_embeddings");
        if (orig != null) {
            b.setOriginalMaxPositionEmbeddings(orig.intValue());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = rope.toJson().fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> f = it.next();
            if (!ROPE_TYPED_FIELDS.contains(f.getKey())) {
                b.putExtra(f.getKey(), f.getValue().toString());
            }
        }
        return b.build();
    }

    /** A LlamaForCausalLM config as a ModelArchitecture; the parameter count comes from the loaded weights. */
    public static ModelArchitecture architecture(LlamaConfig c, long parameterCount) {
        return ModelArchitecture.newBuilder()
                .setVocabSize(c.vocabSize())
                .setHiddenSize(c.hiddenSize())
                .setIntermediateSize(c.intermediateSize())
                .setNumLayers(c.numLayers())
                .setNumHeads(c.numHeads())
                .setNumKvHeads(c.numKvHeads())
                .setHeadDim(c.headDim())
                .setMaxPositionEmbeddings(c.maxPositionEmbeddings())
                .setTieWordEmbeddings(c.tieWordEmbeddings())
                .setRope(rope(c.rope()))
                .setDtype(c.dtype())
                .setParameterCount(parameterCount)
                .build();
    }
}
