package ai.posemesh.evaluation.passkey;

import java.util.Arrays;

/**
 * A passkey run: prompt lengths in tokens, trials per length, and the seed of keys and depths. Defaults from the model:
 * {@link PasskeyEval#defaultSpec()}.
 */
public record PasskeySpec(int[] lengths, int trials, long seed) {

    public PasskeySpec {
        lengths = lengths.clone();
    }

    @Override
    public int[] lengths() {
        return lengths.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PasskeySpec s && Arrays.equals(lengths, s.lengths) && trials == s.trials && seed == s.seed;
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(lengths) * 31 + Long.hashCode(seed) * 17 + trials;
    }

    @Override
    public String toString() {
        return "PasskeySpec[lengths=" + Arrays.toString(lengths) + ", trials=" + trials + ", seed=" + seed + "]";
    }
}
