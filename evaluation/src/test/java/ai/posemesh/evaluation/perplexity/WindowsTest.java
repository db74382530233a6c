package ai.posemesh.evaluation.perplexity;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.perplexity.Windows.Window;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The window bookkeeping against the reference's loop, written out as an oracle. */
class WindowsTest {

    /**
     * {@code compute_perplexity}'s loop in eval_ppl.py, line for line, returning {begin, end, trg_len} per window:
     *
     * <pre>
     * prev_end_loc = 0
     * for begin_loc in range(0, seq_len, sliding_window_step):
     *     end_loc = min(begin_loc + max_tokenized_len, seq_len)   # max_tokenized_len = max_length - 1
     *     trg_len = end_loc - prev_end_loc
     *     ...
     *     prev_end_loc = end_loc
     *     if end_loc == seq_len: break
     * </pre>
     */
    static List<int[]> reference(int seqLen, int maxLength, int step) {
        int maxTokenizedLen = maxLength - 1;
        List<int[]> out = new ArrayList<>();
        int prevEndLoc = 0;
        for (int beginLoc = 0; beginLoc < seqLen; beginLoc += step) {
            int endLoc = Math.min(beginLoc + maxTokenizedLen, seqLen);
            int trgLen = endLoc - prevEndLoc;
            out.add(new int[] {beginLoc, endLoc, trgLen});
            prevEndLoc = endLoc;
            if (endLoc == seqLen) {
                break;
            }
        }
        return out;
    }

    @Test
    void equalsTheReferenceLoopForEveryLengthWindowAndStride() {
        int cases = 0;
        for (int w = 2; w <= 20; w++) {
            for (int s = 1; s <= w - 1; s++) {
                for (int n = 0; n <= 3 * w + 5; n++) {
                    List<int[]> want = reference(n, w, s);
                    List<Window> got = Windows.sliding(n, w, s);
                    String at = "n=" + n + " W=" + w + " S=" + s;
                    assertEquals(want.size(), got.size(), at);
                    long counted = 0;
                    for (int i = 0; i < want.size(); i++) {
                        Window g = got.get(i);
                        assertEquals(want.get(i)[0], g.begin(), at + " window " + i);
                        assertEquals(want.get(i)[1], g.end(), at + " window " + i);
                        assertEquals(want.get(i)[2], g.scored(), at + " window " + i + " trg_len");
                        assertTrue(g.tokens() <= w - 1, at);
                        assertTrue(g.scoredFrom() >= g.begin(), at + ": every counted token is scored in its window");
                        counted += g.scored();
                    }
                    assertEquals(n, counted, at + ": every token counted exactly once");
                    assertEquals(n, Windows.scored(got), at);
                    cases++;
                }
            }
        }
        assertTrue(cases > 3000);
    }

    @Test
    void pinnedCases() {
        // stride 2 < W-1 = 4: overlapping windows, the first scores all 4 tokens, the next ones 2 each
        assertWindows(Windows.sliding(10, 5, 2), 0, 4, 0, 2, 6, 4, 4, 8, 6, 6, 10, 8);
        // N < W: one window with every token, the first predicted from BOS
        assertWindows(Windows.sliding(3, 8, 4), 0, 3, 0);
        // N == W-1: exactly one full window
        assertWindows(Windows.sliding(7, 8, 3), 0, 7, 0);
        // N == W: a second window for the last token
        assertWindows(Windows.sliding(8, 8, 3), 0, 7, 0, 3, 8, 7);
        // S == W-1: disjoint windows, the last one short
        assertWindows(Windows.sliding(10, 5, 4), 0, 4, 0, 4, 8, 4, 8, 10, 8);
        // a stride that does not divide N: the window that reaches N ends the loop
        assertWindows(Windows.sliding(11, 6, 3), 0, 5, 0, 3, 8, 5, 6, 11, 8);
        assertEquals(List.of(5, 3, 3), scored(Windows.sliding(11, 6, 3)), "trg_len per window");
        assertEquals(List.of(), Windows.sliding(0, 8, 4));
        // W = 2: one token per window
        assertWindows(Windows.sliding(3, 2, 1), 0, 1, 0, 1, 2, 1, 2, 3, 2);
    }

    @Test
    void truncateIsOneWindowOfWMinusOneTokens() {
        assertWindows(Windows.truncated(100, 8), 0, 7, 0);
        assertWindows(Windows.truncated(5, 8), 0, 5, 0);
        assertEquals(List.of(), Windows.truncated(0, 8));
    }

    @Test
    void refusesWhatTheProtocolCannotScore() {
        EvalException big = assertThrows(EvalException.class, () -> Windows.sliding(100, 8, 8));
        assertEquals("stride", big.field());
        assertTrue(big.getMessage().contains("must be in [1, 7] for window 8"), big.getMessage());
        assertEquals(
                "stride",
                assertThrows(EvalException.class, () -> Windows.sliding(100, 8, 0))
                        .field());
        EvalException tiny = assertThrows(EvalException.class, () -> Windows.sliding(100, 1, 1));
        assertEquals("lengths", tiny.field());
        assertTrue(tiny.getMessage().contains("at least 2, got 1"), tiny.getMessage());
        assertEquals(
                "lengths",
                assertThrows(EvalException.class, () -> Windows.truncated(5, 1)).field());
    }

    private static List<Integer> scored(List<Window> ws) {
        return ws.stream().map(Window::scored).toList();
    }

    /** Triples of begin, end, scoredFrom. */
    private static void assertWindows(List<Window> got, int... bes) {
        List<Window> want = new ArrayList<>();
        for (int i = 0; i < bes.length; i += 3) {
            want.add(new Window(bes[i], bes[i + 1], bes[i + 2]));
        }
        assertEquals(want, got);
    }
}
