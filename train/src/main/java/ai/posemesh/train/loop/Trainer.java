package ai.posemesh.train.loop;

import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import java.nio.file.Path;

/** Runs a {@link TrainSpec}: data → position sampler → DJL training loop → checkpoints. (Being written.) */
public final class Trainer {

    private Trainer() {}

    /**
     * Trains, writing checkpoints under {@code spec.out()}/checkpoint-NNNNNN/ and resuming from the latest complete
     * one found there.
     *
     * @param dataRoot where fetched corpus families live (a family name in {@code spec.data()} resolves here)
     * @return the last checkpoint
     * @throws ai.posemesh.train.TrainException for a bad spec (INVALID_ARGUMENT) or an unusable base/corpus
     *     (FAILED_PRECONDITION)
     */
    public static TrainListener.Checkpoint run(TrainSpec spec, Path dataRoot, TrainListener listener) {
        throw new UnsupportedOperationException("Trainer.run is being written");
    }
}
