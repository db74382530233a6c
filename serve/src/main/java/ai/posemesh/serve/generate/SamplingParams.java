package ai.posemesh.serve.generate;

import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import java.util.List;

/**
 * How tokens are chosen (SamplingParams in inference.proto). Temperature 0 is greedy (argmax); otherwise the
 * logits are divided by the temperature, cut to the top_k most likely tokens (0 = off), then to the smallest set
 * reaching top_p (1 = off), and sampled with a {@link java.util.SplittableRandom} seeded by {@code seed} (null = a
 * random seed): the same seed, prompt and parameters give the same tokens.
 */
public record SamplingParams(
        int maxNewTokens, double temperature, int topK, double topP, Long seed, List<String> stop, boolean ignoreEos) {

    public static final int DEFAULT_MAX_NEW_TOKENS = 16;
    public static final double DEFAULT_TEMPERATURE = 1.0;
    public static final int MAX_STOP_SEQUENCES = 16;

    public SamplingParams {
        stop = List.copyOf(stop);
    }

    public static SamplingParams defaults() {
        return new SamplingParams(DEFAULT_MAX_NEW_TOKENS, DEFAULT_TEMPERATURE, 0, 1.0, null, List.of(), false);
    }

    public static SamplingParams greedy(int maxNewTokens) {
        return new SamplingParams(maxNewTokens, 0, 0, 1.0, null, List.of(), false);
    }

    public SamplingParams withSampling(double temperature, int topK, double topP, Long seed) {
        return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, ignoreEos);
    }

    public SamplingParams withStop(List<String> stop) {
        return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, ignoreEos);
    }

    public SamplingParams withIgnoreEos(boolean ignore) {
        return new SamplingParams(maxNewTokens, temperature, topK, topP, seed, stop, ignore);
    }

    public boolean greedy() {
        return temperature == 0;
    }

    /** @throws InferenceException INVALID_SAMPLING naming the field */
    public void validate() {
        if (maxNewTokens < 1) {
            throw invalid("max_new_tokens", "must be >= 1, got " + maxNewTokens);
        }
        if (!(temperature >= 0 && temperature <= 100)) {
            throw invalid("temperature", "must be in [0, 100] (0 = greedy), got " + temperature);
        }
        if (topK < 0) {
            throw invalid("top_k", "must be >= 0 (0 = off), got " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw invalid("top_p", "must be in (0, 1] (1 = off), got " + topP);
        }
        if (stop.size() > MAX_STOP_SEQUENCES) {
            throw invalid("stop", "at most " + MAX_STOP_SEQUENCES + " stop sequences, got " + stop.size());
        }
        for (int i = 0; i < stop.size(); i++) {
            if (stop.get(i).isEmpty()) {
                throw invalid("stop", "stop sequence " + i + " is empty");
            }
        }
    }

    private static InferenceException invalid(String field, String problem) {
        return InferenceException.field(Reason.INVALID_SAMPLING, "sampling." + field, problem);
    }
}
