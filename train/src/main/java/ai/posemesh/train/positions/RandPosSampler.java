package ai.posemesh.train.positions;

import java.util.SplittableRandom;

/** RandPos baseline: the first Lc tokens at Lc sorted distinct positions drawn uniformly from [0, Lt). */
public final class RandPosSampler implements PositionSampler {

    private final int lc;
    private final int lt;

    public RandPosSampler(int lc, int lt) {
        if (lt < lc) {
            throw new IllegalArgumentException("Lt < Lc");
        }
        this.lc = lc;
        this.lt = lt;
    }

    @Override
    public Example sample(long[] doc, SplittableRandom rng) {
        long[] ids = java.util.Arrays.copyOf(doc, lc);
        // Floyd's algorithm: Lc distinct values from [0, Lt) in O(Lc)
        java.util.TreeSet<Long> chosen = new java.util.TreeSet<>();
        for (int j = lt - lc; j < lt; j++) {
            long t = rng.nextInt(j + 1);
            chosen.add(chosen.contains(t) ? j : t);
        }
        long[] pos = chosen.stream().mapToLong(Long::longValue).toArray();
        return new Example(ids, pos);
    }

    @Override
    public int minTokens() {
        return lc;
    }

    @Override
    public int maxTokens() {
        return lc;
    }

    @Override
    public String describe() {
        return "randpos(Lc=" + lc + ", Lt=" + lt + ")";
    }
}
