package ai.posemesh.train;

import ai.posemesh.model.config.RopeParameters;
import java.nio.file.Path;

/** What a running job tells its owner (the CLI's progress bar, the service's WatchJob stream and Kafka producer). */
public interface TrainListener {

    /** Progress after each optimizer step. */
    record StepStats(
            int step,
            int totalSteps,
            double loss,
            double lr,
            double tokensPerSecond,
            double etaSeconds,
            long tokensSeen) {}

    /**
     * A checkpoint is complete on disk (weights, config, tokenizer, manifest all written and renamed into place).
     *
     * @param manifestSha256 sha256 of the checkpoint's manifest.json: the checkpoint's identity
     * @param rope the RoPE parameters its config.json holds (the target's scaling); null where unknown (a remote job's
     *     checkpoint as WatchJob reports it)
     * @param maxPositionEmbeddings its config.json's max_position_embeddings (the target length Lt); 0 where unknown
     */
    record Checkpoint(
            Path dir,
            int step,
            String manifestSha256,
            RopeParameters rope,
            int maxPositionEmbeddings,
            double trainLoss,
            double wallSeconds,
            long peakRssBytes,
            boolean last) {}

    default void onStart(int firstStep, int totalSteps) {}

    default void onStep(StepStats stats) {}

    default void onCheckpoint(Checkpoint checkpoint) {}

    /** Polled between steps; true stops the job after the current step without writing a checkpoint. */
    default boolean cancelled() {
        return false;
    }
}
