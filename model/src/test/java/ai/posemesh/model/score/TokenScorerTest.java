package ai.posemesh.model.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.TinyModels;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.llama.Llama;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenScorerTest {

    static NDManager m;
    static Llama model;
    static Llama dynamic;

    @BeforeAll
    static void start() {
        m = Engines.newManager();
        model = TinyModels.random(TinyModels.gqa(), 11, m);
        // dynamic NTK past max_position_embeddings (64): chunked prefill must keep one base for the whole sequence
        dynamic = TinyModels.random(
                TinyModels.config(4, 4, true, RopeParameters.of("dynamic", 10000.0, Map.of("factor", 2.0))), 12, m);
    }

    @AfterAll
    static void stop() {
        m.close();
    }

    static void assertClose(double[] want, double[] got, double tol) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], tol, "token " + i);
        }
    }

    @Test
    void chunkedPrefillEqualsOnePass() {
        long[] ids = TinyModels.ids(150, 5);
        for (Llama llama : new Llama[] {model, dynamic}) {
            double[] one =
                    TokenScorer.score(llama, ids, TokenScorer.Options.onePass()).tokenLogprobs();
            for (int chunk : new int[] {1, 7, 64, 149}) {
                double[] chunked = TokenScorer.score(
                                llama, ids, TokenScorer.Options.onePass().withPrefillChunk(chunk))
                        .tokenLogprobs();
                assertClose(one, chunked, 1e-5);
            }
        }
    }

    @Test
    void logprobsAreNormalisedAndPplIsExpOfMeanNll() {
        long[] ids = TinyModels.ids(30, 6);
        TokenScorer.Result r = TokenScorer.score(model, ids, TokenScorer.Options.onePass());
        assertEquals(29, r.count());
        assertEquals(-Arrays.stream(r.tokenLogprobs()).sum(), r.nllSum(), 1e-9);
        assertEquals(Math.exp(r.nllSum() / 29), r.ppl(), 1e-9);
        assertTrue(Arrays.stream(r.tokenLogprobs()).allMatch(v -> v < 0 && v > -50));
    }

    @Test
    void slidingWindowScoresEachTokenOnceWithItsWindowContext() {
        long[] ids = TinyModels.ids(100, 7);
        int w = 32;
        int s = 12;
        double[] sliding =
                TokenScorer.score(model, ids, TokenScorer.Options.sliding(w, s)).tokenLogprobs();
        assertEquals(99, sliding.length);
        // token t in window [begin, begin+w) is predicted from ids[begin..t-1] at positions 0..: recompute directly
        int prevEnd = 0;
        for (int begin = 0; ; begin += s) {
            int end = Math.min(begin + w, ids.length);
            double[] direct = TokenScorer.score(
                            model, Arrays.copyOfRange(ids, begin, end), TokenScorer.Options.onePass())
                    .tokenLogprobs();
            for (int t = Math.max(prevEnd, begin + 1); t < end; t++) {
                assertEquals(direct[t - begin - 1], sliding[t - 1], 1e-6, "token " + t);
            }
            prevEnd = end;
            if (end == ids.length) {
                break;
            }
        }
        // a window as long as the sequence is the one-pass score
        assertClose(
                TokenScorer.score(model, ids, TokenScorer.Options.onePass()).tokenLogprobs(),
                TokenScorer.score(model, ids, TokenScorer.Options.sliding(100, 50))
                        .tokenLogprobs(),
                0);
        // and context matters: windows of 32 differ from one pass somewhere past the first window
        double[] one =
                TokenScorer.score(model, ids, TokenScorer.Options.onePass()).tokenLogprobs();
        assertTrue(Math.abs(one[80] - sliding[80]) > 1e-6 || Math.abs(one[90] - sliding[90]) > 1e-6);
    }

    @Test
    void explicitPositionsChangeTheAnswer() {
        long[] ids = TinyModels.ids(40, 8);
        long[] skip = new long[40];
        for (int i = 0; i < 40; i++) {
            skip[i] = i < 20 ? i : i + 500; // PoSE-style jump
        }
        double[] plain =
                TokenScorer.score(model, ids, TokenScorer.Options.onePass()).tokenLogprobs();
        double[] skipped = TokenScorer.score(model, ids, skip, TokenScorer.Options.onePass())
                .tokenLogprobs();
        assertClose(Arrays.copyOf(plain, 19), Arrays.copyOf(skipped, 19), 1e-6); // before the jump: identical
        assertTrue(Math.abs(plain[30] - skipped[30]) > 1e-5, "positions after the jump must matter");
    }

    @Test
    void streamDeliversTheSameNumbersInOrderWithGreedyFlagsAndTopK() {
        long[] ids = TinyModels.ids(120, 9);
        for (TokenScorer.Options opts : new TokenScorer.Options[] {
            TokenScorer.Options.onePass().withPrefillChunk(50),
            TokenScorer.Options.sliding(40, 15).withPrefillChunk(16)
        }) {
            double[] want = TokenScorer.score(model, ids, opts).tokenLogprobs();
            List<TokenScorer.Block> blocks = new ArrayList<>();
            TokenScorer.stream(model, ids, opts, 3, () -> false, blocks::add);
            int next = 0;
            for (TokenScorer.Block b : blocks) {
                assertEquals(next, b.firstTarget(), "blocks are consecutive");
                for (int i = 0; i < b.size(); i++) {
                    int t = b.firstTarget() + i;
                    assertEquals(want[t], b.logprobs()[i], 0, "target " + t);
                    assertEquals(b.topLogprobs()[i][0] >= b.topLogprobs()[i][1], true);
                    // greedy iff the target is the top-1 token; its logprob is the top-1 logprob
                    assertEquals(b.topIds()[i][0] == ids[t + 1], b.greedy()[i], "target " + t);
                    assertTrue(b.logprobs()[i] <= b.topLogprobs()[i][0] + 1e-6);
                }
                next += b.size();
            }
            assertEquals(ids.length - 1, next);
        }
    }

    @Test
    void streamStopsWhenCancelled() {
        long[] ids = TinyModels.ids(100, 10);
        int[] delivered = {0};
        assertThrows(
                java.util.concurrent.CancellationException.class,
                () -> TokenScorer.stream(
                        model,
                        ids,
                        TokenScorer.Options.onePass().withPrefillChunk(10),
                        0,
                        () -> delivered[0] >= 20,
                        b -> delivered[0] += b.size()));
        assertEquals(20, delivered[0], "stopped before the third chunk");
    }

    @Test
    void badRequestsAreClearErrors() {
        assertMessage(
                () -> TokenScorer.score(model, new long[] {256, 3, 259}, TokenScorer.Options.onePass()),
                "ids[2]",
                "outside the vocabulary [0, 259)");
        assertMessage(() -> TokenScorer.score(model, new long[] {256, -1}, TokenScorer.Options.onePass()), "ids[1]");
        assertMessage(() -> TokenScorer.score(model, new long[] {256}, TokenScorer.Options.onePass()), "at least 2");
        assertMessage(
                () -> TokenScorer.score(model, TinyModels.ids(10, 1), TokenScorer.Options.sliding(4, 4)), "stride");
        assertMessage(
                () -> TokenScorer.score(model, TinyModels.ids(10, 1), new long[] {0, 1}, TokenScorer.Options.onePass()),
                "positions");
    }

    static void assertMessage(Runnable r, String... parts) {
        CheckpointException e = assertThrows(CheckpointException.class, r::run);
        for (String p : parts) {
            assertTrue(e.getMessage().contains(p), "'" + e.getMessage() + "' should mention " + p);
        }
    }
}
