package ai.posemesh.service.inference.openai;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * OpenAI's legacy {@code logprobs} object for some tokens of a choice: {@code tokens} (each token's own text),
 * {@code token_logprobs} (null for the first prompt token: nothing predicts it), {@code top_logprobs} (per token a
 * map from token text to logprob: the k most likely tokens plus the chosen one, as OpenAI returns up to k + 1 entries;
 * null for the first prompt token) and {@code text_offset} (where each token starts in the choice's text).
 */
final class Logprobs {

    final List<String> tokens = new ArrayList<>();
    final List<Double> tokenLogprobs = new ArrayList<>();
    final List<Map<String, Double>> top = new ArrayList<>();
    final List<Integer> textOffset = new ArrayList<>();

    /**
     * @param topIds the most likely tokens at that position, most likely first (null: none asked)
     * @param topLogprobs their logprobs; the chosen token's own entry takes {@code logprob}, so a greedy choice's value
     *     equals the largest in the map exactly (lm-eval's is_greedy test)
     */
    void add(
            String token,
            Double logprob,
            int chosen,
            int[] topIds,
            double[] topLogprobs,
            TokenTexts names,
            int offset) {
        tokens.add(token);
        tokenLogprobs.add(logprob);
        textOffset.add(offset);
        if (logprob == null) {
            top.add(null);
            return;
        }
        Map<String, Double> m = new LinkedHashMap<>();
        if (topIds != null) {
            for (int j = 0; j < topIds.length; j++) {
                m.putIfAbsent(names.text(topIds[j]), topIds[j] == chosen ? logprob : topLogprobs[j]);
            }
        }
        m.putIfAbsent(token, logprob);
        top.add(m);
    }

    void addAll(Logprobs other) {
        tokens.addAll(other.tokens);
        tokenLogprobs.addAll(other.tokenLogprobs);
        top.addAll(other.top);
        textOffset.addAll(other.textOffset);
    }

    ObjectNode toJson(ObjectMapper json) {
        ObjectNode o = json.createObjectNode();
        ArrayNode t = o.putArray("tokens");
        tokens.forEach(t::add);
        ArrayNode lp = o.putArray("token_logprobs");
        tokenLogprobs.forEach(v -> {
            if (v == null) {
                lp.addNull();
            } else {
                lp.add(v);
            }
        });
        ArrayNode tops = o.putArray("top_logprobs");
        for (Map<String, Double> m : top) {
            if (m == null) {
                tops.addNull();
            } else {
                ObjectNode e = tops.addObject();
                m.forEach(e::put);
            }
        }
        ArrayNode off = o.putArray("text_offset");
        textOffset.forEach(off::add);
        return o;
    }
}
