package ai.posemesh.service.eval.pipeline;

import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.events.v1.EvaluatedModel;

/**
 * What one evaluation evaluates: a directory eval-service loads on the inference service (and unloads afterwards), or
 * a model already served there by name.
 *
 * @param model what EvalCompleted says about it (manifest_sha256 is the identity)
 * @param servedName the inference service's name for it
 * @param load whether eval-service loads it from {@code model.uri} (with the expected manifest sha256)
 * @param label its series label in reports
 */
public record Target(EvaluatedModel model, String servedName, boolean load, String label) {

    /** A trainer checkpoint: served as {@code ckpt-<sha 12>} while it is evaluated. */
    public static Target of(CheckpointPublished e) {
        return new Target(
                EvaluatedModel.newBuilder()
                        .setCheckpointId(e.getCheckpointId())
                        .setUri(e.getUri())
                        .setManifestSha256(e.getManifestSha256())
                        .setJobId(e.getJobId())
                        .setStep(e.getStep())
                        .setLast(e.getLast())
                        .setTrainLen(e.getTrainLen())
                        .setTargetLen(e.getTargetLen())
                        .setRope(e.getRope())
                        .setMethod(e.getMethod())
                        .setBaseModel(e.getBaseModel())
                        .build(),
                "ckpt-" + e.getManifestSha256().substring(0, 12),
                true,
                "step " + e.getStep());
    }
}
