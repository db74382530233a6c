package ai.posemesh.service.inference.openai;

import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Locale;
import org.jboss.logging.Logger;

/**
 * An error in OpenAI's shape, {@code {"error":{"message","type","param","code"}}}, with its HTTP status. Engine errors
 * map by kind: INVALID_ARGUMENT and OUT_OF_RANGE (context_length_exceeded) → 400, NOT_FOUND → 404,
 * RESOURCE_EXHAUSTED (the token budget) → 429, NO_MODEL_LOADED → 503; the code is the engine's reason in lower case
 * and the param the request field at fault, named as the OpenAI request names it.
 */
final class OpenAiError extends RuntimeException {

    private static final Logger LOG = Logger.getLogger(OpenAiError.class);

    final int status;
    final String type;
    final String param;
    final String code;
    /** The engine reason (or INVALID_REQUEST, INTERNAL) for metrics. */
    final String reason;

    OpenAiError(int status, String type, String message, String param, String code, String reason) {
        super(message);
        this.status = status;
        this.type = type;
        this.param = param;
        this.code = code;
        this.reason = reason;
    }

    /** A request field that is malformed or has a value this server does not take. */
    static OpenAiError invalid(String param, String problem) {
        return new OpenAiError(
                400,
                "invalid_request_error",
                param + ": " + problem,
                param,
                "invalid_value",
                Reason.INVALID_REQUEST.name());
    }

    static OpenAiError of(Throwable t) {
        if (t instanceof OpenAiError e) {
            return e;
        }
        if (t instanceof InferenceException e) {
            return of(e);
        }
        LOG.error("completion failed", t);
        return new OpenAiError(500, "server_error", "the server failed: " + t, null, null, "INTERNAL");
    }

    static OpenAiError of(InferenceException e) {
        int status = switch (e.kind()) {
            case INVALID_ARGUMENT, OUT_OF_RANGE -> 400;
            case NOT_FOUND -> 404;
            case RESOURCE_EXHAUSTED -> 429;
            case ALREADY_EXISTS -> 409;
            case FAILED_PRECONDITION -> e.reason() == Reason.NO_MODEL_LOADED ? 503 : 400;
        };
        String type = switch (status) {
            case 429 -> "rate_limit_error";
            case 503 -> "service_unavailable";
            default -> "invalid_request_error";
        };
        return new OpenAiError(
                status,
                type,
                openAiNames(e.getMessage()),
                param(e),
                e.reason().name().toLowerCase(Locale.ROOT),
                e.reason().name());
    }

    /** The engine's field as the OpenAI request calls it. */
    static String param(InferenceException e) {
        String f = e.field();
        if (e.reason() == Reason.CONTEXT_LENGTH_EXCEEDED) {
            return "prompt";
        }
        if (e.reason() == Reason.MODEL_NOT_FOUND) {
            return "model";
        }
        if (f == null) {
            return null;
        }
        if (f.startsWith("prompt") || f.startsWith("input") || f.equals("text")) {
            return "prompt";
        }
        return openAiNames(f);
    }

    /** Engine messages name gRPC fields (sampling.max_new_tokens, sampling.top_p); name the OpenAI ones. */
    static String openAiNames(String s) {
        return s.replace("sampling.max_new_tokens", "max_tokens")
                .replace("max_new_tokens", "max_tokens")
                .replace("sampling.", "");
    }

    ObjectNode body(ObjectMapper json) {
        ObjectNode root = json.createObjectNode();
        ObjectNode error = root.putObject("error");
        error.put("message", getMessage());
        error.put("type", type);
        error.put("param", param);
        error.put("code", code);
        return root;
    }
}
