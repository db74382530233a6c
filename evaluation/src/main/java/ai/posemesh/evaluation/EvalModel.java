package ai.posemesh.evaluation;

import ai.posemesh.model.config.LlamaConfig;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * The model a backend evaluates, as every report and trial names it ({@link EvalBackend#model()}). Not to be confused
 * with {@code config.ModelIdentity}, eval-service's bookkeeping hash of a model directory.
 *
 * @param name the model's name: the served name for a remote model, the directory's name in-process
 * @param manifestSha256 sha256 of the checkpoint's manifest.json ({@code CheckpointPublished.manifest_sha256}); ""
 *     when the directory has none
 * @param ropeType config.json's {@code rope_type} ({@code default}, {@code linear}, {@code yarn}, …)
 * @param ropeFactor the scaling factor s = target / base (1 without scaling)
 * @param maxContext the target window Lt: {@code max_position_embeddings} in-process; for a remote model the context
 *     it is served with ({@code ModelInfo.max_context}), which is max_position_embeddings unless it was loaded with a
 *     max-context override (LoadModel {@code max_context}: e.g. a base model served past its window so that its
 *     perplexity there is measured). The passkey test sizes its prompt at this length 100 tokens short, so a base
 *     served at 2048 gets the prompts a checkpoint with a 2048-token target gets at 2048.
 * @param baseContext the pre-training window Lc: rope {@code original_max_position_embeddings}, else
 *     max_position_embeddings / factor (as the inference service reports {@code base_context}); an override never
 *     changes it: for a base model it stays the window the model was trained with
 * @param bosTokenId the id prepended to every perplexity window
 */
public record EvalModel(
        String name,
        String manifestSha256,
        String ropeType,
        double ropeFactor,
        int maxContext,
        int baseContext,
        long bosTokenId) {

    public EvalModel {
        manifestSha256 = manifestSha256 == null ? "" : manifestSha256;
    }

    /** {@code {"type": ropeType, "factor": ropeFactor}}. */
    public ObjectNode ropeJson() {
        return JsonNodeFactory.instance.objectNode().put("type", ropeType).put("factor", ropeFactor);
    }

    /** {@code {"name", "manifest_sha256", "rope": {"type", "factor"}, "max_context", "base_context"}}. */
    public ObjectNode toJson() {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("name", name).put("manifest_sha256", manifestSha256);
        j.set("rope", ropeJson());
        return j.put("max_context", maxContext).put("base_context", baseContext);
    }

    /** The identity of a model directory's config (name and manifest given by the caller). */
    public static EvalModel of(String name, String manifestSha256, LlamaConfig c) {
        if (c.bosTokenId() == null) {
            throw new EvalException(
                    "model",
                    name + " has no bos_token_id in config.json: the perplexity protocol prepends BOS to every "
                            + "window and the passkey prompt starts with it");
        }
        return new EvalModel(
                name,
                manifestSha256,
                c.rope().type(),
                c.rope().optDouble("factor", 1.0),
                c.maxPositionEmbeddings(),
                c.originalMaxPositionEmbeddings(),
                c.bosTokenId());
    }
}
