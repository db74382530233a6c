package ai.posemesh.train.synthetic;

import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Random;
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

    static final String[] NAMES = {
        "Alice", "Bruno", "Chiara", "Dmitri", "Elena", "Farid", "Greta", "Hiro", "Ines", "Jonas", "Kavya", "Liam",
        "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sven", "Tara", "Umar", "Vera", "Wen", "Ximena", "Yusuf",
        "Zoe"
    };

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

    /** Ways a keyed value is stated ({@link #keyed}): the key phrase, one of these, then the number. */
    static final String[] LINKS = {
        " is", " was", " reads", " equals", ":", " =", " stands at", " comes to", " totals", " has the value"
    };

    /**
     * A synthetic window of exactly {@code length} tokens: a quarter of the time facts and questions about people
     * ({@link #facts}), a quarter verbatim repeats ({@link #repeats}), half keyed values under phrases taken from
     * the corpus ({@link #keyed}).
     *
     * @param filler gives a run of corpus tokens of (at least) the requested length
     */
    public long[] build(int length, long bos, SplittableRandom rng, Function<Integer, long[]> filler) {
        return switch (rng.nextInt(4)) {
            case 0 -> facts(length, bos, rng, filler);
            case 1 -> repeats(length, bos, rng, filler);
            default -> keyed(length, bos, rng, filler);
        };
    }

    /**
     * Keyed values: BOS, then 1–4 statements "{phrase}{link} N." whose key phrase is a run of 1–4 words from the
     * corpus (so a fixed template cannot be memorised), each restated verbatim later in the window, where N can only
     * be found by matching the whole phrase and link to their first occurrence. In between, distractors defeat
     * shortcuts: half the time the phrase is mentioned with a different continuation (matching its last word alone
     * picks the wrong token), half the time another phrase takes the same link with a word for its value (matching
     * the link alone picks a word), and a quarter of the windows use a short corpus span repeated as their filler
     * (repetitive text, where copying the recent period is the wrong answer at a restatement).
     */
    long[] keyed(int length, long bos, SplittableRandom rng, Function<Integer, long[]> corpus) {
        Function<Integer, long[]> filler = rng.nextInt(4) == 0 ? periodic(corpus.apply(8 + rng.nextInt(33))) : corpus;
        int entries = 1 + rng.nextInt(Math.max(1, Math.min(4, length * 2 / (5 * pairTokens))));
        List<long[]> statements = new ArrayList<>();
        List<long[]> between = new ArrayList<>();
        List<long[]> restatements = new ArrayList<>();
        for (int i = 0; i < entries; i++) {
            String phrase = phrase(rng, corpus, 4, true);
            String link = LINKS[rng.nextInt(LINKS.length)];
            String stated = phrase + link + " " + (1 + rng.nextInt(99_999)) + ".";
            statements.add(tokenizer.encode(lead(rng) + stated + " ", false));
            restatements.add(tokenizer.encode(lead(rng) + stated + " ", false));
            if (rng.nextBoolean()) {
                between.add(tokenizer.encode(lead(rng) + phrase, false));
            }
            if (rng.nextBoolean()) {
                String other = phrase(rng, corpus, 3, true) + link + " " + phrase(rng, corpus, 1, false) + ".";
                between.add(tokenizer.encode(lead(rng) + other + " ", false));
            }
        }
        // layout: the statements in order, the distractors and then the restatements each shuffled, filler between
        Collections.shuffle(between, new Random(rng.nextLong()));
        Collections.shuffle(restatements, new Random(rng.nextLong()));
        List<long[]> pieces = new ArrayList<>(statements);
        pieces.addAll(between);
        pieces.addAll(restatements);
        return layout(length, bos, pieces, rng, filler);
    }

    /**
     * BOS, then the pieces in order with corpus filler before, between and after them: the filler budget (what the
     * pieces leave of the window) is split into pieces+1 gaps at random. Exactly {@code length} tokens; a piece that
     * does not fit is cut at the window's end.
     */
    private static long[] layout(
            int length, long bos, List<long[]> pieces, SplittableRandom rng, Function<Integer, long[]> filler) {
        int fixed = 1 + pieces.stream().mapToInt(p -> p.length).sum();
        int fillerBudget = Math.max(0, length - fixed);
        int[] cuts = new int[pieces.size()];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = rng.nextInt(fillerBudget + 1);
        }
        Arrays.sort(cuts);
        long[] out = new long[length];
        int n = 0;
        out[n++] = bos;
        int prev = 0;
        for (int i = 0; i <= pieces.size() && n < length; i++) {
            int upTo = i < cuts.length ? cuts[i] : fillerBudget;
            n = append(out, n, filler.apply(upTo - prev), upTo - prev);
            prev = upTo;
            if (i < pieces.size()) {
                n = append(out, n, pieces.get(i), pieces.get(i).length);
            }
        }
        while (n < length) { // only when the pieces alone overflow: pad with filler
            n = append(out, n, filler.apply(length - n), length - n);
        }
        return out;
    }

    /** Filler that repeats one span over and over, from where the last call stopped. */
    private static Function<Integer, long[]> periodic(long[] span) {
        int[] at = {0};
        return n -> {
            long[] out = new long[n];
            for (int i = 0; i < n; i++) {
                out[i] = span[at[0]++ % span.length];
            }
            return out;
        };
    }

    /**
     * What precedes a statement: a space, or a line break (then the phrase's first token is spelled without its
     * leading space, so the statement and its restatement can differ in that token, as text lines do).
     */
    private static String lead(SplittableRandom rng) {
        return switch (rng.nextInt(4)) {
            case 0 -> "\n";
            case 1 -> "\n\n";
            default -> " ";
        };
    }

    /** A key phrase: "The ", "the " or nothing (if {@code head}), then 1–{@code maxWords} consecutive words. */
    private String phrase(SplittableRandom rng, Function<Integer, long[]> corpus, int maxWords, boolean head) {
        int k = 1 + rng.nextInt(maxWords);
        String start = !head
                ? ""
                : switch (rng.nextInt(3)) {
                    case 0 -> "The ";
                    case 1 -> "the ";
                    default -> "";
                };
        for (int attempt = 0; attempt < 20; attempt++) {
            List<String> words = new ArrayList<>();
            for (String w : tokenizer.decode(corpus.apply(40), true).split("[^A-Za-z]+")) {
                if (w.length() >= 2) { // letters only, so a phrase never holds a number
                    words.add(w);
                }
            }
            if (words.size() >= k + 2) {
                int from = 1 + rng.nextInt(words.size() - k - 1); // skip the first word: it may be cut
                return start + String.join(" ", words.subList(from, from + k));
            }
        }
        return start + "value of " + NAMES[rng.nextInt(NAMES.length)];
    }

    /** Copies up to {@code count} tokens of {@code piece} into {@code out} at {@code n}; returns the new end. */
    private static int append(long[] out, int n, long[] piece, int count) {
        for (int i = 0; i < count && i < piece.length && n < out.length; i++) {
            out[n++] = piece[i];
        }
        return n;
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
            StringBuilder key =
                    new StringBuilder(" key ").append(1 + rng.nextInt(99_999)).append(' ');
            for (int i = 0, k = 8 + rng.nextInt(40); i < k; i++) {
                key.append((char) ('a' + rng.nextInt(26)));
            }
            long[] span = tokenizer.encode(key.append('.').toString(), false);
            // mostly short gaps (dense copy signal), sometimes long ones (copying across the window); a gap is at
            // most half the window, so the second copy fits
            long[] gap = filler.apply(
                    rng.nextInt(4) == 0
                            ? rng.nextInt(Math.max(1, length / 2))
                            : rng.nextInt(Math.max(1, Math.min(60, length / 8))));
            for (long[] piece : new long[][] {span, gap, span}) {
                n = append(out, n, piece, piece.length);
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
            // every template starts with a space; a line break may take its place
            factTokens.add(tokenizer.encode(
                    lead(rng) + String.format(t[0], NAMES[name], value).substring(1), false));
            questionTokens.add(tokenizer.encode(
                    lead(rng) + String.format(t[1], NAMES[name], value).substring(1), false));
        }
        Collections.shuffle(questionTokens, new Random(rng.nextLong()));
        List<long[]> pieces = new ArrayList<>(factTokens);
        pieces.addAll(questionTokens);
        return layout(length, bos, pieces, rng, filler);
    }
}
