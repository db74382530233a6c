package ai.posemesh.serve.generate;

import ai.posemesh.model.generate.GreedyDecoder;
import java.util.SplittableRandom;

/**
 * Picks the next token from a row of logits. Greedy is {@link GreedyDecoder#argmax} itself, so it equals the greedy
 * reference exactly. Sampling works in double on the logits pulled to Java; candidates are ordered by logit (ties: lower
 * id first) whenever top_k or top_p cut them, so a seed always gives the same choice.
 */
final class Sampler {

    private final SamplingParams params;
    private final SplittableRandom rng;

    Sampler(SamplingParams params) {
        this.params = params;
        this.rng = new SplittableRandom(params.seed() != null ? params.seed() : new SplittableRandom().nextLong());
    }

    int next(float[] logits) {
        if (params.greedy()) {
            return GreedyDecoder.argmax(logits);
        }
        double t = params.temperature();
        double max = logits[GreedyDecoder.argmax(logits)] / t;
        boolean cut = (params.topK() > 0 && params.topK() < logits.length) || params.topP() < 1;
        if (!cut) {
            double z = 0;
            for (float l : logits) {
                z += Math.exp(l / t - max);
            }
            double u = rng.nextDouble() * z;
            for (int i = 0; i < logits.length; i++) {
                u -= Math.exp(logits[i] / t - max);
                if (u < 0) {
                    return i;
                }
            }
            return logits.length - 1; // rounding left u a hair above zero
        }
        int[] order = byLogitDescending(logits);
        int k = params.topK() > 0 ? Math.min(params.topK(), order.length) : order.length;
        double[] w = new double[k];
        double z = 0;
        for (int j = 0; j < k; j++) {
            w[j] = Math.exp(logits[order[j]] / t - max);
            z += w[j];
        }
        // nucleus: the smallest prefix whose probability reaches top_p (always at least one token)
        int keep = k;
        if (params.topP() < 1) {
            double cum = 0;
            for (int j = 0; j < k; j++) {
                cum += w[j] / z;
                if (cum >= params.topP()) {
                    keep = j + 1;
                    break;
                }
            }
        }
        double mass = 0;
        for (int j = 0; j < keep; j++) {
            mass += w[j];
        }
        double u = rng.nextDouble() * mass;
        for (int j = 0; j < keep; j++) {
            u -= w[j];
            if (u < 0) {
                return order[j];
            }
        }
        return order[keep - 1];
    }

    /** Token ids by logit, largest first, lower id first on ties: one primitive sort of packed (logit, id) keys. */
    static int[] byLogitDescending(float[] logits) {
        long[] keys = new long[logits.length];
        for (int i = 0; i < logits.length; i++) {
            int bits = Float.floatToIntBits(logits[i]);
            int sortable = bits ^ ((bits >> 31) & 0x7fffffff); // orders like the float, as a signed int
            keys[i] = ((long) sortable << 32) | (Integer.MAX_VALUE - i);
        }
        java.util.Arrays.sort(keys);
        int[] out = new int[logits.length];
        for (int j = 0; j < out.length; j++) {
            out[j] = Integer.MAX_VALUE - (int) keys[keys.length - 1 - j];
        }
        return out;
    }

    /** ln softmax(logits)[id], in double: the token's log-probability before temperature, top-k and top-p. */
    static double logprob(float[] logits, int id) {
        return logprobs(logits, new int[] {id})[0];
    }

    /** {@link #logprob} of several ids, with the normalizer computed once (the same arithmetic, the same numbers). */
    static double[] logprobs(float[] logits, int[] ids) {
        double max = logits[GreedyDecoder.argmax(logits)];
        double z = 0;
        for (float l : logits) {
            z += Math.exp(l - max);
        }
        double logZ = Math.log(z);
        double[] out = new double[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = logits[ids[i]] - max - logZ;
        }
        return out;
    }

    /** The k most likely token ids (k capped at the vocabulary), most likely first, lower id first on ties. */
    static int[] top(float[] logits, int k) {
        return java.util.Arrays.copyOf(byLogitDescending(logits), Math.min(k, logits.length));
    }
}
