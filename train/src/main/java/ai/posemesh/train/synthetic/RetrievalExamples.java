package ai.posemesh.train.synthetic;

import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Function;

/**
 * Synthetic retrieval windows mixed into pre-training, so a tiny base model learns to find a number stated earlier in
 * its window (the skill the passkey test measures). Facts about named people are scattered through real corpus text
 * and asked about later in the same window. Templates, names and fillers deliberately differ from the passkey
 * evaluation's ("The pass key is …", "The grass is green…"), so passkey accuracy measures retrieval, not memorised
 * wording.
 */
public final class RetrievalExamples {

    static final String[] NAMES = {"Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines",
        "Jonas", "Kavya", "Liam", "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera",
        "Wen", "Ximena", "Yusuf", "Zoe"};

    /** Fact and question templates, pairwise: {fact, question-with-answer}. */
    static final String[][] TEMPLATES = {
        {" %s's secret number is %d. ", " What is %s's secret number? It is %d. "},
        {" Remember: the code for %s is %d. ", " Question: the code for %s? Answer: %d. "},
        {" The locker of %s has the number %d. ", " Which number does %s's locker have? %d. "},
        {" Note that %s was born in the year %d. ", " In which year was %s born? In %d. "},
        // verbatim repeats teach plain copying (an induction head): the phrase recurs and the number follows
        {" The ticket of %s reads %d. ", " Once more: the ticket of %s reads %d. "},
        {" Badge of %s: %d. ", " As noted, badge of %s: %d. "},
        {" The door code of %s is %d. ", " Again, the door code of %s is %d. "},
        {" The room of %s is number %d. ", " To repeat: the room of %s is number %d. "},
    };

    /** Most facts per window; each window holds 1..MAX_FACTS facts and as many questions. */
    static final int MAX_FACTS = 16;

    private final TextTokenizer tokenizer;
    /** Tokens of a long fact plus its question under this tokenizer (≈75 byte-level, ≈25 with a small BPE). */
    private final int pairTokens;

    public RetrievalExamples(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
        String[] t = TEMPLATES[2];
        this.pairTokens = tokenizer.encode(String.format(t[0], "Ximena", 99_999), false).length
                + tokenizer.encode(String.format(t[1], "Ximena", 99_999), false).length;
    }

    /**
     * A synthetic window of exactly {@code length} tokens: half the time facts and questions ({@link #facts}), half
     * the time verbatim repeats ({@link #repeats}).
     *
     * @param filler gives a run of corpus tokens of (at least) the requested length
     */
    public long[] build(int length, long bos, SplittableRandom rng, Function<Integer, long[]> filler) {
        return rng.nextBoolean() ? facts(length, bos, rng, filler) : repeats(length, bos, rng, filler);
    }

    /**
     * A window in which spans recur verbatim: BOS, then random strings (" key NNNNN qwxz…."), each repeated after a
     * gap of corpus text. The second copy is unpredictable except by copying the first, which is the signal that
     * grows an induction (copy) head; mixed with corpus text, a copy head alone does not form in a budget of this size.
     */
    long[] repeats(int length, long bos, SplittableRandom rng, Function<Integer, long[]> filler) {
        long[] out = new long[length];
        out[0] = bos;
        int n = 1;
        while (n < length) {
            StringBuilder key = new StringBuilder(" key ").append(1 + rng.nextInt(99_999)).append(' ');
            for (int i = 0, k = 8 + rng.nextInt(40); i < k; i++) {
                key.append((char) ('a' + rng.nextInt(26)));
            }
            long[] span = tokenizer.encode(key.append('.').toString(), false);
            // mostly short gaps (dense copy signal), sometimes long ones (copying across the window); a gap is at
            // most half the window, so the second copy fits
            long[] gap = filler.apply(rng.nextInt(4) == 0 ? rng.nextInt(Math.max(1, length / 2))
                    : rng.nextInt(Math.max(1, Math.min(60, length / 8))));
            for (long[] piece : new long[][] {span, gap, span}) {
                for (int i = 0; i < piece.length && n < length; i++) {
                    out[n++] = piece[i];
                }
            }
        }
        return out;
    }

    /**
     * Facts: BOS, then 1–16 facts (fewer in short windows) separated by filler, then the questions with their answers,
     * in shuffled order, each followed by filler.
     */
    long[] facts(int length, long bos, SplittableRandom rng, Function<Integer, long[]> filler) {
        // facts and questions fill at most ~4/5 of the window, so answers (the copying signal) are dense
        int facts = 1 + rng.nextInt(Math.max(1, Math.min(MAX_FACTS, length * 4 / 5 / pairTokens)));
        List<long[]> factTokens = new ArrayList<>();
        List<long[]> questionTokens = new ArrayList<>();
        List<Integer> usedNames = new ArrayList<>();
        for (int i = 0; i < facts; i++) {
            int name;
            do {
                name = rng.nextInt(NAMES.length);
            } while (usedNames.contains(name));
            usedNames.add(name);
            String[] t = TEMPLATES[rng.nextInt(TEMPLATES.length)];
            int value = 1 + rng.nextInt(99_999);
            factTokens.add(tokenizer.encode(String.format(t[0], NAMES[name], value), false));
            questionTokens.add(tokenizer.encode(String.format(t[1], NAMES[name], value), false));
        }
        java.util.Collections.shuffle(questionTokens, new java.util.Random(rng.nextLong()));
        int fixed = 1;
        for (int i = 0; i < facts; i++) {
            fixed += factTokens.get(i).length + questionTokens.get(i).length;
        }
        int fillerBudget = Math.max(0, length - fixed);
        // split the filler budget into 2·facts+1 gaps at random
        int gaps = 2 * facts + 1;
        int[] cuts = new int[gaps - 1];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = rng.nextInt(fillerBudget + 1);
        }
        java.util.Arrays.sort(cuts);
        long[] out = new long[length];
        int n = 0;
        out[n++] = bos;
        int prev = 0;
        for (int g = 0; g < gaps && n < length; g++) {
            int gap = (g < cuts.length ? cuts[g] : fillerBudget) - prev;
            prev = g < cuts.length ? cuts[g] : fillerBudget;
            long[] f = filler.apply(gap);
            for (int i = 0; i < gap && n < length; i++) {
                out[n++] = f[i];
            }
            long[] piece = g < facts ? factTokens.get(g) : g < 2 * facts ? questionTokens.get(g - facts) : null;
            if (piece != null) {
                for (int i = 0; i < piece.length && n < length; i++) {
                    out[n++] = piece[i];
                }
            }
        }
        while (n < length) { // only when the facts alone overflow: pad with filler
            long[] f = filler.apply(length - n);
            for (int i = 0; n < length; i++) {
                out[n++] = f[i];
            }
        }
        return out;
    }
}
