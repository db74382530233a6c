package ai.posemesh.evaluation.perplexity;

import ai.posemesh.evaluation.EvalException;
import java.util.ArrayList;
import java.util.List;

/**
 * The window bookkeeping of the PoSE reference's {@code eval_ppl.py} ({@code compute_perplexity}), without a model.
 *
 * <p>A document of {@code n} tokens (tokenized without special tokens) is evaluated at window length {@code W}: each
 * window holds up to {@code W − 1} document tokens, and a BOS is prepended to every window, so the model sees at most
 * {@code W} tokens. Windows begin at 0, S, 2S, …; a window ends at {@code min(begin + W − 1, n)}; only the tokens the
 * previous window did not score count ({@code trg_len = end − prev_end}; in the first window every token, the first
 * one predicted from BOS alone); the loop stops at the window that reaches {@code n}.
 *
 * <p>The reference also "runs" with S &gt; W − 1, where a window's {@code trg_len} exceeds the tokens it holds (tokens
 * between two windows are never scored, yet counted with the window's mean NLL). posemesh refuses such a stride, so
 * that every counted token is a scored token: {@code scoredFrom = prev_end ≥ begin} always.
 */
public final class Windows {

    /**
     * One window over a document: the document tokens {@code [begin, end)} follow a BOS; the tokens {@code [scoredFrom,
     * end)} are the ones it scores (each predicted from BOS and the window's tokens before it).
     */
    public record Window(int begin, int end, int scoredFrom) {
        /** Document tokens in the window (the model sees one more: BOS). */
        public int tokens() {
            return end - begin;
        }

        /** Tokens this window scores: the reference's {@code trg_len}. */
        public int scored() {
            return end - scoredFrom;
        }
    }

    private Windows() {}

    /**
     * The sliding windows over a document of {@code n} tokens, as the reference's loop makes them.
     *
     * @param window W: BOS + up to W − 1 document tokens per window, at least 2
     * @param stride S: 1 ≤ S ≤ W − 1
     * @return no window when {@code n == 0}
     */
    public static List<Window> sliding(int n, int window, int stride) {
        check(n, window);
        if (stride < 1 || stride > window - 1) {
            throw new EvalException(
                    "stride",
                    "must be in [1, " + (window - 1) + "] for window " + window + " (a window holds " + (window - 1)
                            + " tokens after BOS; a larger stride would count tokens no window scores), got "
                            + stride);
        }
        List<Window> out = new ArrayList<>();
        int prevEnd = 0;
        for (int begin = 0; begin < n; begin += stride) {
            int end = Math.min(begin + window - 1, n);
            out.add(new Window(begin, end, prevEnd));
            prevEnd = end;
            if (end == n) {
                break;
            }
        }
        return out;
    }

    /** The reference's {@code --truncate}: the document cut to W − 1 tokens, scored in one window. */
    public static List<Window> truncated(int n, int window) {
        check(n, window);
        return n == 0 ? List.of() : List.of(new Window(0, Math.min(n, window - 1), 0));
    }

    /** Tokens counted over all windows. */
    public static long scored(List<Window> windows) {
        long s = 0;
        for (Window w : windows) {
            s += w.scored();
        }
        return s;
    }

    private static void check(int n, int window) {
        if (window < 2) {
            throw new EvalException(
                    "lengths", "a window must hold BOS and at least one token: at least 2, got " + window);
        }
        if (n < 0) {
            throw new IllegalArgumentException("n must be >= 0, got " + n);
        }
    }
}
