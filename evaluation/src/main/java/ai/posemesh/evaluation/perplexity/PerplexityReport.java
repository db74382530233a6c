package ai.posemesh.evaluation.perplexity;

import ai.posemesh.evaluation.EvalModel;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/** A perplexity run: the model, the settings, the documents used (by id) and one result per length. */
public record PerplexityReport(
        EvalModel model, PerplexitySpec spec, List<String> docIds, List<PerplexityResult> results) {

    /**
     * The report as {@code ./pose eval ppl --json} prints it:
     *
     * <pre>
     * {"suite": "ppl", "protocol": "pose-eval_ppl",
     *  "model": {"name", "manifest_sha256", "rope": {"type", "factor"}, "max_context", "base_context"},
     *  "config": {"lengths", "stride" (null = half of each window), "docs", "min_tokens", "max_tokens", "truncate",
     *             "data" (when given)},
     *  "doc_ids": [...],
     *  "results": [{"length", "ppl", "scored_tokens", "docs"}, ...]}
     * </pre>
     *
     * @param data how the corpus was named (a family, a path), or null
     */
    public ObjectNode toJson(String data) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode j = f.objectNode().put("suite", "ppl").put("protocol", "pose-eval_ppl");
        j.set("model", model.toJson());
        ObjectNode c = j.putObject("config");
        ArrayNode ls = c.putArray("lengths");
        for (int l : spec.lengths()) {
            ls.add(l);
        }
        if (spec.stride() > 0 && !spec.truncate()) {
            c.put("stride", spec.stride());
        } else {
            c.putNull("stride");
        }
        c.put("docs", spec.docs())
                .put("min_tokens", spec.minTokens())
                .put("max_tokens", spec.maxTokens())
                .put("truncate", spec.truncate());
        if (data != null) {
            c.put("data", data);
        }
        ArrayNode ids = j.putArray("doc_ids");
        docIds.forEach(ids::add);
        ArrayNode rs = j.putArray("results");
        for (PerplexityResult r : results) {
            rs.addObject()
                    .put("length", r.length())
                    .put("ppl", r.ppl())
                    .put("scored_tokens", r.scoredTokens())
                    .put("docs", r.docs());
        }
        return j;
    }
}
