package ai.posemesh.train.positions;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.BitSet;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Invariants of every sampler over many draws, and the reference example of the PoSE spec. */
class PositionSamplerTest {

    static final int DRAWS = 5000;

    static long[] doc(int n) {
        long[] d = new long[n];
        for (int i = 0; i < n; i++) {
            d[i] = i;
        }
        return d;
    }

    /** Checks strictly increasing positions within [0, Lt), and returns the relative distances seen. */
    static BitSet checkAndCollect(Example e, int len, int lt) {
        assertEquals(len, e.length());
        long[] p = e.positionIds();
        assertTrue(p[0] >= 0);
        for (int i = 1; i < p.length; i++) {
            assertTrue(p[i] > p[i - 1], "positions must strictly increase: " + java.util.Arrays.toString(p));
        }
        assertTrue(p[p.length - 1] <= lt - 1, "last position " + p[p.length - 1] + " > Lt-1");
        BitSet d = new BitSet();
        for (int i = 0; i < p.length; i++) {
            for (int j = i; j < p.length; j++) {
                d.set((int) (p[j] - p[i]));
            }
        }
        return d;
    }

    @Test
    void referenceExampleFromTheSpec() {
        // pose-spec / rope_vectors.json: Lc=8, s=4, doc 0..19, draws l0=3, rt2=15, u1=17
        Example e = new PoseSampler(8, 32, 2).reference(doc(20), 3, 15, 17);
        assertArrayEquals(new long[] {0, 1, 2, 10, 11, 12, 13, 14}, e.inputIds());
        assertArrayEquals(new long[] {0, 1, 2, 20, 21, 22, 23, 24}, e.positionIds());
    }

    @Test
    void poseTwoChunksFollowsTheReferenceDistributions() {
        int lc = 8;
        int lt = 32;
        PoseSampler s = new PoseSampler(lc, lt, 2);
        SplittableRandom rng = new SplittableRandom(1);
        BitSet distances = new BitSet();
        BitSet l0Seen = new BitSet();
        BitSet u1Seen = new BitSet();
        for (int n = 0; n < DRAWS; n++) {
            long[] d = doc(10 + rng.nextInt(60)); // documents of 10..69 tokens, truncated to 5·Lc = 40
            Example e = s.sample(d, rng);
            distances.or(checkAndCollect(e, lc, lt));
            long[] p = e.positionIds();
            long[] ids = e.inputIds();
            long u1 = p[lc - 1] - (lc - 1);
            assertTrue(ids[lc - 1] < Math.min(d.length, 5 * lc), "content stays inside the first 5·Lc tokens");
            if (u1 > 0) { // with u1 == 0 the chunk boundary is invisible in the positions
                int l0 = 1;
                while (p[l0] == l0) {
                    l0++;
                }
                // chunk 0 is the document start at positions 0..l0-1; chunk 1 is contiguous in content and positions
                for (int i = 0; i < l0; i++) {
                    assertEquals(i, ids[i]);
                }
                for (int i = l0 + 1; i < lc; i++) {
                    assertEquals(ids[i - 1] + 1, ids[i]);
                    assertEquals(p[i - 1] + 1, p[i]);
                }
                l0Seen.set(l0);
            }
            u1Seen.set((int) u1);
        }
        // l0 ~ U[1, ceil(Lc/2)]: never above half the window
        assertEquals(1, l0Seen.nextSetBit(0));
        assertEquals((lc + 1) / 2, l0Seen.length() - 1);
        // u1 ~ U[0, Lt-Lc]: both ends reached
        assertTrue(u1Seen.get(0) && u1Seen.get(lt - lc));
        assertEquals(lt - lc + 1, u1Seen.cardinality());
        // every relative distance 0..Lt-1 is trained
        assertEquals(lt, distances.cardinality());
    }

    @Test
    void poseGeneralChunksSumToLcAndCoverTheTarget() {
        for (int chunks : new int[] {1, 3, 5}) {
            int lc = 16;
            int lt = 64;
            PoseSampler s = new PoseSampler(lc, lt, chunks);
            SplittableRandom rng = new SplittableRandom(chunks);
            BitSet distances = new BitSet();
            for (int n = 0; n < DRAWS; n++) {
                Example e = s.sample(doc(100), rng);
                distances.or(checkAndCollect(e, lc, lt));
                // chunk count = 1 + number of jumps in positions; at most N
                long[] p = e.positionIds();
                int jumps = 0;
                for (int i = 1; i < lc; i++) {
                    jumps += p[i] - p[i - 1] > 1 ? 1 : 0;
                }
                assertTrue(jumps + 1 <= chunks);
            }
            assertEquals(chunks == 1 ? lc : lt, distances.cardinality(), "N=" + chunks);
        }
    }

    @Test
    void randposIsSortedDistinctAndUniform() {
        int lc = 8;
        int lt = 32;
        RandPosSampler s = new RandPosSampler(lc, lt);
        SplittableRandom rng = new SplittableRandom(2);
        int[] hits = new int[lt];
        BitSet distances = new BitSet();
        for (int n = 0; n < DRAWS; n++) {
            Example e = s.sample(doc(50), rng);
            distances.or(checkAndCollect(e, lc, lt));
            assertArrayEquals(java.util.Arrays.copyOf(doc(50), lc), e.inputIds(), "the first Lc tokens");
            for (long p : e.positionIds()) {
                hits[(int) p]++;
            }
        }
        double expected = (double) DRAWS * lc / lt;
        for (int h : hits) {
            assertEquals(expected, h, expected * 0.15, "each position is drawn with probability Lc/Lt");
        }
        assertEquals(lt, distances.cardinality());
    }

    @Test
    void fullAndNoneAreContiguous() {
        Example full = new ContiguousSampler(32, "full").sample(doc(40), new SplittableRandom(3));
        assertArrayEquals(doc(32), full.positionIds());
        assertArrayEquals(doc(32), full.inputIds());
        Example none = new ContiguousSampler(8, "none").sample(doc(40), new SplittableRandom(3));
        assertArrayEquals(doc(8), none.positionIds());
        BitSet d = checkAndCollect(none, 8, 8);
        assertEquals(8, d.cardinality(), "none only ever sees distances < Lc");
    }
}
