package ai.posemesh.evaluation.passkey;

import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The passkey retrieval test as the reference code runs it: key K ~ U[1, 50000]; the key sentence at a uniform filler
 * depth (x ~ U[0, n], y = n − x); the prompt encoded with BOS; greedy generation of 10 tokens; the first {@code \d+}
 * of the decoded new tokens must equal K.
 *
 * <p>Deviation: the reference sizes n as (L − 32 − 26 − 11) // 25 from LLaMA's token counts per part. posemesh
 * measures the parts with the model's own tokenizer and takes the largest n whose prompt fits in L tokens, so the
 * test means the same for any tokenizer (a byte-level one would otherwise overshoot L several times over).
 */
public final class PasskeyEval {

    /** Accuracy at one length. */
    public record LengthResult(int length, int trials, int passed, double meanPromptTokens, int fillerUnits) {
        public double accuracy() {
            return trials == 0 ? 0 : (double) passed / trials;
        }
    }

    /** One trial, for reports. */
    public record Trial(int length, int key, int depthUnits, String answer, boolean passed) {}

    static final Pattern DIGITS = Pattern.compile("\\d+");

    private final Llama model;
    private final TextTokenizer tokenizer;

    public PasskeyEval(Llama model, TextTokenizer tokenizer) {
        this.model = model;
        this.tokenizer = tokenizer;
    }

    /** The largest filler count whose prompt (BOS included, 5-digit key) fits in {@code length} tokens; −1 if none. */
    public int fillerUnits(int length) {
        int n = -1;
        while (tokens(PasskeyPrompt.build(50000, n + 1, 0)) <= length) {
            n++;
        }
        return n;
    }

    public LengthResult run(int length, int trials, long seed, List<Trial> log) {
        int n = fillerUnits(length);
        if (n < 0) {
            throw new IllegalArgumentException("length " + length + " cannot hold the passkey prompt even without "
                    + "filler (" + tokens(PasskeyPrompt.build(50000, 0, 0)) + " tokens)");
        }
        Random rng = new Random(seed ^ length);
        int passed = 0;
        long promptTokens = 0;
        for (int t = 0; t < trials; t++) {
            int key = 1 + rng.nextInt(50000);
            int x = rng.nextInt(n + 1);
            long[] prompt = tokenizer.encode(PasskeyPrompt.build(key, x, n - x), true);
            promptTokens += prompt.length;
            long[] out = GreedyDecoder.generate(model, prompt, 10, Set.of(), 4096);
            String answer = tokenizer.decode(out, true);
            Matcher m = DIGITS.matcher(answer);
            boolean ok = m.find() && parses(m.group(), key);
            passed += ok ? 1 : 0;
            if (log != null) {
                log.add(new Trial(length, key, x, answer, ok));
            }
        }
        return new LengthResult(length, trials, passed, (double) promptTokens / trials, n);
    }

    public List<LengthResult> run(int[] lengths, int trials, long seed) {
        List<LengthResult> out = new ArrayList<>();
        for (int l : lengths) {
            out.add(run(l, trials, seed, null));
        }
        return out;
    }

    private int tokens(String prompt) {
        return tokenizer.encode(prompt, true).length;
    }

    private static boolean parses(String digits, int key) {
        try {
            return Integer.parseInt(digits) == key;
        } catch (NumberFormatException e) {
            return false; // more digits than an int: certainly not the key
        }
    }
}
