package ai.posemesh.model.generate;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.llama.Llama;
import java.util.Arrays;
import java.util.Set;

/**
 * Greedy generation over a KV cache: chunked prefill of the prompt, then one token per step. Positions are 0..n−1;
 * length-dependent RoPE (dynamic) is fixed for the whole request at prompt + max_new_tokens, so cached keys and new
 * queries always use the same frequencies (HF instead recomputes per step as the sequence grows).
 */
public final class GreedyDecoder {

    private GreedyDecoder() {}

    /**
     * @return the generated ids (without the prompt), stopping after {@code maxNew} tokens or at a stop id (included)
     */
    public static long[] generate(Llama model, long[] prompt, int maxNew, Set<Long> stopIds, int prefillChunk) {
        var c = model.config();
        if (prompt.length == 0) {
            throw new CheckpointException(null, "prompt", "is empty");
        }
        for (int i = 0; i < prompt.length; i++) {
            if (prompt[i] < 0 || prompt[i] >= c.vocabSize()) {
                throw new CheckpointException(
                        null,
                        "prompt[" + i + "]",
                        "token id " + prompt[i] + " is outside the vocabulary [0, " + c.vocabSize() + ")");
            }
        }
        int total = prompt.length + maxNew;
        long[] out = new long[maxNew];
        int n = 0;
        try (CachedSequence seq = new CachedSequence(model, total, total)) {
            float[] logits = seq.prefill(prompt, prefillChunk, () -> false, done -> {});
            while (n < maxNew) {
                long next = argmax(logits);
                out[n++] = next;
                if (stopIds.contains(next) || n == maxNew) {
                    break;
                }
                logits = seq.next(next);
            }
        }
        return Arrays.copyOf(out, n);
    }

    /** The index of the largest value, the first one on ties (as torch.argmax). */
    public static int argmax(float[] logits) {
        int best = 0;
        for (int i = 1; i < logits.length; i++) {
            if (logits[i] > logits[best]) {
                best = i;
            }
        }
        return best;
    }
}
