package ai.posemesh.evaluation.passkey;

import ai.posemesh.evaluation.EvalModel;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigInteger;

/**
 * One passkey trial, as reports record it.
 *
 * @param length the length asked for
 * @param promptBudget tokens the prompt may use: {@code length}, less 100 at the target window
 * @param fillerUnits n, filler units in the prompt
 * @param promptTokens the prompt's actual tokens (BOS included)
 * @param depth x: filler units before the key sentence (0..n)
 * @param trial the trial's index at this length (0-based)
 * @param expected the key K
 * @param got the first number in the generated text (digits), or null when it has none
 * @param answer the generated text
 * @param passed {@code got} equals {@code expected}
 */
public record Trial(
        EvalModel model,
        int length,
        int promptBudget,
        int fillerUnits,
        int promptTokens,
        int depth,
        int trial,
        int expected,
        String got,
        String answer,
        boolean passed) {

    /**
     * One JSON line: {@code {model, manifest_sha256, rope: {type, factor}, length, prompt_budget, filler_units,
     * prompt_tokens, depth, trial, expected, got (number or null), answer, passed}} and, for readers of the earlier
     * format, {@code key} (= expected) and {@code depth_units} (= depth).
     */
    public ObjectNode toJson() {
        ObjectNode j = JsonNodeFactory.instance.objectNode();
        j.put("model", model.name()).put("manifest_sha256", model.manifestSha256());
        j.set("rope", model.ropeJson());
        j.put("length", length)
                .put("prompt_budget", promptBudget)
                .put("filler_units", fillerUnits)
                .put("prompt_tokens", promptTokens)
                .put("depth", depth)
                .put("trial", trial)
                .put("expected", expected);
        if (got == null) {
            j.putNull("got");
        } else {
            j.put("got", new BigInteger(got));
        }
        return j.put("answer", answer)
                .put("passed", passed)
                .put("key", expected)
                .put("depth_units", depth);
    }
}
