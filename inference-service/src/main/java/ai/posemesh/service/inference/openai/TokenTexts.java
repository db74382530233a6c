package ai.posemesh.service.inference.openai;

import ai.posemesh.model.tokenizer.TextTokenizer;
import java.util.HashMap;
import java.util.Map;

/**
 * Each token's own text for {@code logprobs.tokens} and the keys of {@code top_logprobs}: the token decoded alone,
 * special tokens included (BOS shows as {@code <s>}). A token that is no text on its own (a byte of a multi-byte
 * character decodes to U+FFFD, and all such bytes alike) is named {@code token_id:N}, as vLLM names tokens, so that
 * alternatives keep distinct keys; so is every token of a model without a tokenizer. Cached per request.
 */
final class TokenTexts {

    private final TextTokenizer tokenizer;
    private final Map<Integer, String> cache = new HashMap<>();

    TokenTexts(TextTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    String text(long id) {
        return cache.computeIfAbsent((int) id, i -> {
            String t = tokenizer == null ? "" : tokenizer.decode(new long[] {i}, false);
            return t.isEmpty() || t.indexOf('\uFFFD') >= 0 ? "token_id:" + i : t;
        });
    }
}
