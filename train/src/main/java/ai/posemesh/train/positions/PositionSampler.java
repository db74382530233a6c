package ai.posemesh.train.positions;

import ai.posemesh.train.TrainSpec;
import java.util.SplittableRandom;

/**
 * Draws one training example (content + position ids) from a tokenized document segment. Each method of
 * {@link TrainSpec.Method} is one small implementation ({@code full} and {@code none} share
 * {@link ContiguousSampler}); all are deterministic given the random source.
 */
public interface PositionSampler {

    /**
     * @param doc token ids of a document segment, BOS first, at least {@link #minTokens()} long
     */
    Example sample(long[] doc, SplittableRandom rng);

    /** Documents (segments) shorter than this are dropped before sampling. */
    int minTokens();

    /** The longest segment the sampler can use (the reference truncates documents to 5·Lc for PoSE). */
    int maxTokens();

    /** A short description for manifests, e.g. "pose(N=2, Lc=256, Lt=2048)". */
    String describe();

    static PositionSampler forSpec(TrainSpec spec) {
        int lc = spec.trainLen();
        int lt = spec.targetLen();
        return switch (spec.method()) {
            case POSE -> new PoseSampler(lc, lt, spec.chunks());
            case RANDPOS -> new RandPosSampler(lc, lt);
            case FULL -> new ContiguousSampler(lt, "full");
            case NONE -> new ContiguousSampler(lc, "none");
        };
    }

    /** Uniform integer in [lo, hi], both ends inclusive (Python's random.randint). */
    static int randint(SplittableRandom rng, int lo, int hi) {
        return lo + rng.nextInt(hi - lo + 1);
    }
}
