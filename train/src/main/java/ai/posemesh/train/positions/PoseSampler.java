package ai.posemesh.train.positions;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * PoSE (positional skip-wise training). The window of Lc tokens is cut into N chunks; chunk i gets a skip bias u_i
 * added to its positions, so one Lc-token input exercises relative distances up to Lt−1.
 *
 * <p>N = 2 is exactly the reference implementation ({@code train_preprocess_function_pose}, PoSE-v2): the document
 * is truncated to 5·Lc tokens (Lx); chunk-0 length l0 ~ U[1, ⌈Lc/2⌉]; chunk 0 is the document start (u0 = v0 = 0);
 * chunk 1 is the {@code Lc−l0} tokens ending at rt2 ~ U[Lc, Lx] (content gap v1 = rt2 − Lc); its positions are shifted
 * by u1 ~ U[0, Lt−Lc], drawn independently of v1.
 *
 * <p>N > 2 is the paper's general form (§3.2): N−1 distinct cut points uniform in [1, Lc−1]; skips
 * u_i ~ U[u_{i−1}, Lt−Lc] and content offsets v_i ~ U[v_{i−1}, Lx−Lc], with u0 = v0 = 0; chunk i holds
 * x[v_i + st_i, v_i + st_i + l_i) at positions st_i + u_i + (0..l_i−1). N = 1 is plain training on Lc tokens.
 */
public final class PoseSampler implements PositionSampler {

    private final int lc;
    private final int lt;
    private final int chunks;

    public PoseSampler(int lc, int lt, int chunks) {
        if (lt < lc || chunks < 1 || chunks > lc) {
            throw new IllegalArgumentException("need 1 <= chunks <= Lc <= Lt");
        }
        this.lc = lc;
        this.lt = lt;
        this.chunks = chunks;
    }

    @Override
    public Example sample(long[] doc, SplittableRandom rng) {
        int lx = Math.min(doc.length, 5 * lc);
        if (lx < lc) {
            throw new IllegalArgumentException("document of " + doc.length + " tokens is shorter than Lc " + lc);
        }
        return chunks == 2 ? reference(doc, lx, rng) : general(doc, lx, rng);
    }

    /** The reference code, line for line (len_chunk = Lc because documents shorter than Lc are dropped). */
    private Example reference(long[] doc, int lx, SplittableRandom rng) {
        int l0 = PositionSampler.randint(rng, 1, (lc + 1) / 2);
        int rt2 = PositionSampler.randint(rng, lc, lx);
        int u1 = PositionSampler.randint(rng, 0, lt - lc);
        return reference(doc, l0, rt2, u1);
    }

    /** input = ids[0:l0] ++ ids[rt2−(Lc−l0) : rt2]; positions = [0..l0−1] ++ [l0+u1 .. Lc−1+u1]. */
    Example reference(long[] doc, int l0, int rt2, int u1) {
        int lt2 = rt2 - (lc - l0);
        long[] ids = new long[lc];
        long[] pos = new long[lc];
        System.arraycopy(doc, 0, ids, 0, l0);
        System.arraycopy(doc, lt2, ids, l0, lc - l0);
        for (int i = 0; i < lc; i++) {
            pos[i] = i < l0 ? i : i + u1;
        }
        return new Example(ids, pos);
    }

    private Example general(long[] doc, int lx, SplittableRandom rng) {
        int[] starts = cutPoints(rng); // st_0 = 0 < st_1 < ... < st_{N-1} < Lc
        long[] ids = new long[lc];
        long[] pos = new long[lc];
        int u = 0;
        int v = 0;
        for (int c = 0; c < chunks; c++) {
            if (c > 0) {
                u = PositionSampler.randint(rng, u, lt - lc);
                v = PositionSampler.randint(rng, v, lx - lc);
            }
            int st = starts[c];
            int end = c + 1 < chunks ? starts[c + 1] : lc;
            for (int i = st; i < end; i++) {
                ids[i] = doc[v + i];
                pos[i] = u + i;
            }
        }
        return new Example(ids, pos);
    }

    /** Chunk starts: 0 followed by N−1 distinct sorted cut points from [1, Lc−1]. */
    private int[] cutPoints(SplittableRandom rng) {
        int[] starts = new int[chunks];
        if (chunks == 1) {
            return starts;
        }
        // draw from [1, Lc−1] until N−1 distinct values are in (N ≤ Lc, so it ends), without materialising the range
        java.util.Set<Integer> picked = new java.util.TreeSet<>();
        while (picked.size() < chunks - 1) {
            picked.add(PositionSampler.randint(rng, 1, lc - 1));
        }
        int i = 1;
        for (int p : picked) {
            starts[i++] = p;
        }
        Arrays.sort(starts);
        return starts;
    }

    @Override
    public int minTokens() {
        return lc;
    }

    @Override
    public int maxTokens() {
        return 5 * lc;
    }

    @Override
    public String describe() {
        return "pose(N=" + chunks + ", Lc=" + lc + ", Lt=" + lt + ")";
    }
}
