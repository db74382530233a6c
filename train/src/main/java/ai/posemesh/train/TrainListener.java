package ai.posemesh.train;

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
     */
    record Checkpoint(
            Path dir,
            int step,
            String manifestSha256,
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
