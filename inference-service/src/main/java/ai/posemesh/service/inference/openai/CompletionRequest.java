package ai.posemesh.service.inference.openai;

import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.generate.SamplingParams;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@code POST /v1/completions} body (OpenAI's legacy completions), checked field by field. {@code prompt} is a
 * string, an array of token ids, or a batch: an array of strings or of token-id arrays (one choice per prompt, in
 * order). Text prompts are tokenized with BOS, as the gRPC API's default; token ids are taken as they are.
 * Extensions, as vLLM names them: {@code top_k} (0 or -1 = off) and {@code ignore_eos}.
 */
record CompletionRequest(
        String model,
        List<Prompt> prompts,
        int maxTokens,
        double temperature,
        double topP,
        int topK,
        List<String> stop,
        Long seed,
        boolean ignoreEos,
        boolean stream,
        boolean includeUsage,
        Integer logprobs,
        boolean echo) {

    /** OpenAI's bound on {@code logprobs}. */
    static final int MAX_LOGPROBS = 5;

    /** Whether the prompt tokens' logprobs are asked for (echo with logprobs): a Score pass over the prompt. */
    boolean scoresPrompt() {
        return echo && logprobs != null;
    }

    SamplingParams sampling() {
        return new SamplingParams(maxTokens, temperature, topK, topP, seed, stop, ignoreEos);
    }

    static CompletionRequest parse(JsonNode body) {
        if (body == null || !body.isObject()) {
            throw OpenAiError.invalid("body", "must be a JSON object");
        }
        String model = optText(body, "model", "");
        List<Prompt> prompts = prompts(body.get("prompt"));
        boolean echo = optBoolean(body, "echo", false);
        int maxTokens = optInt(body, "max_tokens", SamplingParams.DEFAULT_MAX_NEW_TOKENS);
        if (maxTokens < 0 || (maxTokens == 0 && !echo)) {
            throw OpenAiError.invalid(
                    "max_tokens", "must be >= 1 (0 only with echo, to score the prompt), got " + maxTokens);
        }
        double temperature = optDouble(body, "temperature", SamplingParams.DEFAULT_TEMPERATURE);
        double topP = optDouble(body, "top_p", 1.0);
        int topK = optInt(body, "top_k", 0);
        if (topK == -1) {
            topK = 0;
        }
        List<String> stop = stop(body.get("stop"));
        Long seed = null;
        if (present(body, "seed")) {
            JsonNode n = body.get("seed");
            if (!n.isIntegralNumber() || !n.canConvertToLong()) {
                throw OpenAiError.invalid("seed", "must be an integer, got " + n);
            }
            seed = n.asLong();
        }
        Integer logprobs = present(body, "logprobs") ? logprobs(body.get("logprobs")) : null;
        boolean stream = optBoolean(body, "stream", false);
        boolean includeUsage = false;
        JsonNode opts = body.get("stream_options");
        if (opts != null && !opts.isNull()) {
            if (!opts.isObject()) {
                throw OpenAiError.invalid("stream_options", "must be an object");
            }
            includeUsage = optBoolean(opts, "include_usage", false);
        }
        unsupported(body, "n", 1);
        unsupported(body, "best_of", 1);
        unsupported(body, "presence_penalty", 0);
        unsupported(body, "frequency_penalty", 0);
        JsonNode suffix = body.get("suffix");
        if (suffix != null && !suffix.isNull() && !suffix.asText().isEmpty()) {
            throw unsupported("suffix", "is not supported (no insertion)");
        }
        JsonNode bias = body.get("logit_bias");
        if (bias != null && !bias.isNull() && !bias.isEmpty()) {
            throw unsupported("logit_bias", "is not supported");
        }
        return new CompletionRequest(
                model,
                prompts,
                maxTokens,
                temperature,
                topP,
                topK,
                stop,
                seed,
                optBoolean(body, "ignore_eos", false),
                stream,
                includeUsage,
                logprobs,
                echo);
    }

    private static List<Prompt> prompts(JsonNode p) {
        if (p == null || p.isNull()) {
            throw OpenAiError.invalid("prompt", "is required: a string, an array of token ids, or an array of either");
        }
        if (p.isTextual()) {
            return List.of(text(p, "prompt"));
        }
        if (!p.isArray() || p.isEmpty()) {
            throw OpenAiError.invalid(
                    "prompt",
                    "must be a string, an array of token ids, or a non-empty array of "
                            + "strings or of token-id arrays");
        }
        JsonNode first = p.get(0);
        List<Prompt> out = new ArrayList<>();
        if (first.isNumber()) {
            out.add(Prompt.ids(ids(p, "prompt")));
            return out;
        }
        for (int i = 0; i < p.size(); i++) {
            JsonNode e = p.get(i);
            String where = "prompt[" + i + "]";
            if (first.isTextual() && e.isTextual()) {
                out.add(text(e, where));
            } else if (first.isArray() && e.isArray()) {
                out.add(Prompt.ids(ids(e, where)));
            } else {
                throw OpenAiError.invalid(
                        "prompt",
                        where + " is " + e.getNodeType().name().toLowerCase()
                                + "; a batch is all strings or all token-id arrays");
            }
        }
        return out;
    }

    private static Prompt text(JsonNode s, String where) {
        if (s.asText().isEmpty()) {
            throw new OpenAiError(
                    400,
                    "invalid_request_error",
                    "prompt: " + where + " is empty; send text or token "
                            + "ids (to start from BOS alone, send its id)",
                    "prompt",
                    "empty_prompt",
                    "EMPTY_PROMPT");
        }
        return Prompt.text(s.asText(), true);
    }

    private static long[] ids(JsonNode a, String where) {
        long[] ids = new long[a.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode e = a.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt()) {
                throw OpenAiError.invalid("prompt", where + "[" + i + "] is " + e + "; token ids are integers");
            }
            ids[i] = e.asInt();
        }
        return ids;
    }

    private static List<String> stop(JsonNode s) {
        if (s == null || s.isNull()) {
            return List.of();
        }
        if (s.isTextual()) {
            return List.of(s.asText());
        }
        if (!s.isArray()) {
            throw OpenAiError.invalid("stop", "must be a string or an array of strings");
        }
        List<String> out = new ArrayList<>();
        for (JsonNode e : s) {
            if (!e.isTextual()) {
                throw OpenAiError.invalid("stop", "must be a string or an array of strings, got " + e);
            }
            out.add(e.asText());
        }
        return out;
    }

    private static int logprobs(JsonNode n) {
        if (!n.isIntegralNumber() || !n.canConvertToInt() || n.asInt() < 0 || n.asInt() > MAX_LOGPROBS) {
            throw OpenAiError.invalid(
                    "logprobs",
                    "must be an integer in [0, " + MAX_LOGPROBS + "] (alternatives per " + "token) or null, got " + n);
        }
        return n.asInt();
    }

    private static void unsupported(JsonNode body, String field, double only) {
        JsonNode n = body.get(field);
        if (n != null && !n.isNull() && !(n.isNumber() && n.asDouble() == only)) {
            throw unsupported(
                    field,
                    "only " + (only == (long) only ? String.valueOf((long) only) : only) + " is supported, got " + n);
        }
    }

    private static OpenAiError unsupported(String field, String problem) {
        return new OpenAiError(
                400, "invalid_request_error", field + ": " + problem, field, "unsupported_value", "INVALID_REQUEST");
    }

    private static boolean present(JsonNode body, String field) {
        JsonNode n = body.get(field);
        return n != null && !n.isNull();
    }

    private static String optText(JsonNode body, String field, String dflt) {
        if (!present(body, field)) {
            return dflt;
        }
        JsonNode n = body.get(field);
        if (!n.isTextual()) {
            throw OpenAiError.invalid(field, "must be a string, got " + n);
        }
        return n.asText();
    }

    private static boolean optBoolean(JsonNode body, String field, boolean dflt) {
        if (!present(body, field)) {
            return dflt;
        }
        JsonNode n = body.get(field);
        if (!n.isBoolean()) {
            throw OpenAiError.invalid(field, "must be true or false, got " + n);
        }
        return n.asBoolean();
    }

    private static int optInt(JsonNode body, String field, int dflt) {
        return present(body, field) ? integer(body.get(field), field) : dflt;
    }

    private static int integer(JsonNode n, String field) {
        boolean whole = n.isIntegralNumber() || (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()));
        if (!whole || !n.canConvertToInt()) {
            throw OpenAiError.invalid(field, "must be an integer, got " + n);
        }
        return n.asInt();
    }

    private static double optDouble(JsonNode body, String field, double dflt) {
        if (!present(body, field)) {
            return dflt;
        }
        JsonNode n = body.get(field);
        if (!n.isNumber()) {
            throw OpenAiError.invalid(field, "must be a number, got " + n);
        }
        return n.asDouble();
    }
}
