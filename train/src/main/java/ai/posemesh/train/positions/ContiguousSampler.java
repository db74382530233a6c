package ai.posemesh.train.positions;

import java.util.SplittableRandom;

/**
 * The first {@code length} tokens at positions 0..length−1: {@code none} (length Lc: pre-training, plain
 * fine-tuning) and {@code full} (length Lt: the Full-length baseline).
 */
public final class ContiguousSampler implements PositionSampler {

    private final int length;
    private final String name;

    public ContiguousSampler(int length, String name) {
        this.length = length;
        this.name = name;
    }

    @Override
    public Example sample(long[] doc, SplittableRandom rng) {
        long[] ids = java.util.Arrays.copyOf(doc, length);
        long[] pos = new long[length];
        for (int i = 0; i < length; i++) {
            pos[i] = i;
        }
        return new Example(ids, pos);
    }

    @Override
    public int minTokens() {
        return length;
    }

    @Override
    public int maxTokens() {
        return length;
    }

    @Override
    public String describe() {
        return name + "(L=" + length + ")";
    }
}
