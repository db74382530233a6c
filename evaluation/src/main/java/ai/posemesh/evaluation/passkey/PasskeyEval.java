package ai.posemesh.evaluation.passkey;

import ai.posemesh.evaluation.EvalBackend;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.EvalModel;
import ai.posemesh.evaluation.InProcessBackend;
import ai.posemesh.evaluation.Lengths;
import ai.posemesh.evaluation.Progress;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The passkey retrieval test as the reference code ({@code src/eval_passkey.py}) runs it, on any {@link EvalBackend}:
 * key K ~ U[1, 50000]; the key sentence at a uniform filler depth (x ~ U[0, n], y = n − x); the prompt encoded with BOS;
 * greedy generation of {@value #MAX_NEW_TOKENS} tokens; the first {@code \d+} of the decoded new tokens must equal K. A
 * length equal to the model's target length ({@code max_position_embeddings}) is reduced by {@value #TARGET_MARGIN},
 * as the reference does, so that the prompt and the generated tokens fit the window.
 *
 * <p>Deviation: the reference sizes n as (L − 32 − 26 − 11) // 25 from LLaMA's token counts per part. posemesh
 * measures the prompt with the model's own tokenizer and takes the largest n whose prompt (BOS and a 5-digit key
 * included) fits in L tokens, so the test means the same for any tokenizer (a byte-level one would otherwise overshoot L
 * several times over). That count grows with n (more text never gives fewer tokens), so n is found by doubling then
 * bisection: about 2·log2(n) tokenizations, not n.
 *
 * <p>Randomness: one {@code java.util.Random(seed ^ L)} per requested length L (before the reduction), drawing K then x
 * for each trial ({@link #draws}); the same seed gives the same keys, depths and — the model being deterministic — the
 * same answers on either backend.
 */
public final class PasskeyEval {

    public static final int MAX_NEW_TOKENS = 10;
    public static final int MAX_KEY = 50000;
    /** The reference's reduction of a length equal to the target window. */
    public static final int TARGET_MARGIN = 100;

    /** Trials per length when none is said: the reference's 50. */
    public static final int DEFAULT_TRIALS = 50;

    /**
     * Accuracy at one length.
     *
     * @param length the length asked for
     * @param promptBudget the prompt's token budget: {@code length}, or {@code length − 100} at the target window
     * @param fillerUnits n, filler units per prompt
     */
    public record LengthResult(
            int length, int promptBudget, int trials, int passed, double meanPromptTokens, int fillerUnits) {
        public double accuracy() {
            return trials == 0 ? 0 : (double) passed / trials;
        }
    }

    /** Trial {@code trial}'s key and depth (filler units before the key sentence). */
    public record Draw(int key, int depth) {}

    static final Pattern DIGITS = Pattern.compile("\\d+");

    private final EvalBackend backend;
    private final Map<Integer, Integer> unitsByBudget = new HashMap<>();
    private final Map<Integer, Integer> tokensByUnits = new HashMap<>();

    public PasskeyEval(EvalBackend backend) {
        this.backend = backend;
    }

    /** In-process over a model and tokenizer the caller owns (named "model", no manifest). */
    public PasskeyEval(Llama model, TextTokenizer tokenizer) {
        this(new InProcessBackend("model", "", model, tokenizer));
    }

    public EvalBackend backend() {
        return backend;
    }

    /**
     * The whole suite: checks every length first, then runs them in order.
     *
     * @param trials receives every trial as it completes (null: none)
     */
    public PasskeyReport run(PasskeySpec spec, Consumer<Trial> trials, Progress progress) {
        check(spec);
        List<LengthResult> results = new ArrayList<>();
        for (int l : spec.lengths()) {
            results.add(run(l, spec.trials(), spec.seed(), trials, progress));
        }
        return new PasskeyReport(backend.model(), spec, results);
    }

    /** Defaults from the model: {@link Lengths#defaults} minus lengths too short for the prompt, 50 trials, seed 0. */
    public PasskeySpec defaultSpec() {
        int[] lengths = java.util.Arrays.stream(Lengths.defaults(backend.model(), backend.sequenceLimit()))
                .filter(l -> fillerUnits(promptBudget(l)) >= 0 && fits(l))
                .toArray();
        return new PasskeySpec(lengths, DEFAULT_TRIALS, 0);
    }

    /** Every setting, before any trial runs; the exception names the setting at fault. */
    public void check(PasskeySpec spec) {
        if (spec.lengths().length == 0) {
            throw new EvalException("lengths", "give at least one length");
        }
        if (spec.trials() < 1) {
            throw new EvalException("trials", "must be >= 1, got " + spec.trials());
        }
        for (int l : spec.lengths()) {
            if (l < 1) {
                throw new EvalException("lengths", "must be positive, got " + l);
            }
            if (fillerUnits(promptBudget(l)) < 0) {
                throw new EvalException(
                        "lengths",
                        l + " tokens cannot hold the passkey prompt (" + promptTokens(0) + " tokens without filler"
                                + (promptBudget(l) != l
                                        ? "; the reference keeps " + TARGET_MARGIN + " tokens free at the target length"
                                        : "")
                                + ")");
            }
            if (!fits(l)) {
                throw new EvalException(
                        "lengths",
                        l + ": a prompt of up to " + promptBudget(l) + " tokens + " + MAX_NEW_TOKENS + " generated > "
                                + backend.sequenceLimit() + ", the longest sequence "
                                + backend.model().name()
                                + " takes here (max_context); evaluate past the window in-process (--model) or serve it"
                                + " with a larger max_context (LoadModel)");
            }
        }
    }

    private boolean fits(int length) {
        return fits(length, backend.model().maxContext(), backend.sequenceLimit());
    }

    /** The prompt's token budget at {@code length}: the reference reduces the target length by 100. */
    public int promptBudget(int length) {
        return promptBudget(length, backend.model().maxContext());
    }

    /**
     * The prompt's token budget at {@code length} for a model whose {@link EvalModel#maxContext()} is
     * {@code maxContext}: {@code length − 100} when they are equal (the reference's rule at the target window), else
     * {@code length}. A model served with a max-context override (a base served past its window) is sized by the
     * context it is served with, so a base served at 2048 gets the prompts a checkpoint with a 2048 target gets.
     */
    public static int promptBudget(int length, int maxContext) {
        return length == maxContext ? length - TARGET_MARGIN : length;
    }

    /** Whether a length's prompt and the generated tokens fit {@code sequenceLimit} (the model's max context). */
    public static boolean fits(int length, int maxContext, int sequenceLimit) {
        return (long) promptBudget(length, maxContext) + MAX_NEW_TOKENS <= sequenceLimit;
    }

    /**
     * The largest filler count whose prompt (BOS included, 5-digit key) fits in {@code budget} tokens; −1 if none. The
     * same answer as trying n = 0, 1, 2, … until the prompt is too long, in O(log n) tokenizations.
     */
    public int fillerUnits(int budget) {
        Integer known = unitsByBudget.get(budget);
        if (known != null) {
            return known;
        }
        int n;
        if (promptTokens(0) > budget) {
            n = -1;
        } else {
            int fits = 0;
            int over = 1;
            while (promptTokens(over) <= budget) { // doubling: the first count past the budget
                fits = over;
                over *= 2;
            }
            while (over - fits > 1) { // promptTokens(fits) <= budget < promptTokens(over)
                int mid = (fits + over) >>> 1;
                if (promptTokens(mid) <= budget) {
                    fits = mid;
                } else {
                    over = mid;
                }
            }
            n = fits;
        }
        unitsByBudget.put(budget, n);
        return n;
    }

    /** Tokens of the prompt with {@code units} filler units, BOS and a 5-digit key. */
    int promptTokens(int units) {
        return tokensByUnits.computeIfAbsent(
                units, u -> backend.encode(PasskeyPrompt.build(MAX_KEY, u, 0), true).length);
    }

    /** Keys and depths of a length's trials: {@code Random(seed ^ length)}, K = 1 + nextInt(50000), x = nextInt(n + 1). */
    public static List<Draw> draws(long seed, int length, int fillerUnits, int trials) {
        Random rng = new Random(seed ^ length);
        List<Draw> out = new ArrayList<>(trials);
        for (int t = 0; t < trials; t++) {
            int key = 1 + rng.nextInt(MAX_KEY);
            int x = rng.nextInt(fillerUnits + 1);
            out.add(new Draw(key, x));
        }
        return out;
    }

    /** {@code trials} trials at one length ({@link #check} it first for a clear error). */
    public LengthResult run(int length, int trials, long seed, Consumer<Trial> sink, Progress progress) {
        int budget = promptBudget(length);
        int n = fillerUnits(budget);
        if (n < 0) {
            throw new EvalException(
                    "lengths",
                    length + " tokens cannot hold the passkey prompt even without filler (" + promptTokens(0)
                            + " tokens)");
        }
        EvalModel m = backend.model();
        int passed = 0;
        long promptTokens = 0;
        List<Draw> draws = draws(seed, length, n, trials);
        progress.update(length, 0, trials);
        for (int t = 0; t < trials; t++) {
            Draw d = draws.get(t);
            long[] prompt = backend.encode(PasskeyPrompt.build(d.key(), d.depth(), n - d.depth()), true);
            promptTokens += prompt.length;
            String answer = backend.greedy(prompt, MAX_NEW_TOKENS).text();
            Matcher g = DIGITS.matcher(answer);
            String got = g.find() ? g.group() : null;
            boolean ok = got != null && parses(got, d.key());
            passed += ok ? 1 : 0;
            if (sink != null) {
                sink.accept(new Trial(m, length, budget, n, prompt.length, d.depth(), t, d.key(), got, answer, ok));
            }
            progress.update(length, t + 1, trials);
        }
        return new LengthResult(length, budget, trials, passed, (double) promptTokens / trials, n);
    }

    private static boolean parses(String digits, int key) {
        try {
            return Integer.parseInt(digits) == key;
        } catch (NumberFormatException e) {
            return false; // more digits than an int: certainly not the key
        }
    }
}
