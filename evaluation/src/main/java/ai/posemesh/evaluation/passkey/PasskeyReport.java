package ai.posemesh.evaluation.passkey;

import ai.posemesh.evaluation.EvalModel;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A passkey run: the model, the settings and one result per length. */
public record PasskeyReport(EvalModel model, PasskeySpec spec, List<PasskeyEval.LengthResult> results) {

    /**
     * The report as {@code ./pose eval passkey --json} prints it:
     *
     * <pre>
     * {"suite": "passkey", "protocol": "pose-eval_passkey",
     *  "model": {"name", "manifest_sha256", "rope": {"type", "factor"}, "max_context", "base_context"},
     *  "config": {"lengths", "trials", "seed", "max_new_tokens"},
     *  "results": [{"length", "trials", "passed", "accuracy"}, ...]}
     * </pre>
     */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode j = f.objectNode().put("suite", "passkey").put("protocol", "pose-eval_passkey");
        j.set("model", model.toJson());
        ObjectNode c = j.putObject("config");
        ArrayNode ls = c.putArray("lengths");
        for (int l : spec.lengths()) {
            ls.add(l);
        }
        c.put("trials", spec.trials()).put("seed", spec.seed()).put("max_new_tokens", PasskeyEval.MAX_NEW_TOKENS);
        ArrayNode rs = j.putArray("results");
        for (PasskeyEval.LengthResult r : results) {
            rs.addObject()
                    .put("length", r.length())
                    .put("trials", r.trials())
                    .put("passed", r.passed())
                    .put("accuracy", r.accuracy());
        }
        return j;
    }
}
