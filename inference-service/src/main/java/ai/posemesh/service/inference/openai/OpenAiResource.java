package ai.posemesh.service.inference.openai;

import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.service.inference.InferenceRuntime;
import ai.posemesh.service.inference.metrics.InferenceMetrics;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.smallrye.common.annotation.Blocking;
import io.vertx.core.http.HttpServerResponse;
import jakarta.inject.Inject;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;
import jakarta.ws.rs.core.StreamingOutput;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;

/**
 * OpenAI-compatible HTTP next to the gRPC API, over the same engine: {@code POST /v1/completions} (legacy completions:
 * text or token-id prompts and batches of them, sampling, stop, seed, {@code logprobs} with {@code echo} as
 * lm-eval-harness' {@code local-completions} uses them, SSE streaming) and {@code GET /v1/models}. Errors take
 * OpenAI's shape ({@link OpenAiError}). Requests run on HTTP worker threads, never the event loop; model work runs on
 * the engine's workers ({@link Completion}).
 */
@Path("/v1")
public class OpenAiResource {

    static final String COMPLETIONS = "/v1/completions";
    static final String MODELS = "/v1/models";
    /** nginx's "client closed request", for metrics: the client went away before the response was done. */
    static final String CLIENT_GONE = "499";

    @Inject
    InferenceRuntime runtime;

    @Inject
    InferenceMetrics metrics;

    @Inject
    ObjectMapper json;

    @GET
    @Path("/models")
    public Response models() {
        ArrayNode data = json.createArrayNode();
        runtime.registry().list().forEach(m -> data.add(model(m)));
        ObjectNode list = json.createObjectNode().put("object", "list");
        list.set("data", data);
        metrics.request(InferenceMetrics.HTTP, MODELS, "200", null);
        return Response.ok(list.toString(), MediaType.APPLICATION_JSON).build();
    }

    @GET
    @Path("/models/{id}")
    public Response model(@PathParam("id") String id) {
        try {
            if (id.isBlank()) {
                throw OpenAiError.invalid("model", "is empty");
            }
            ObjectNode m = model(runtime.registry().get(id));
            metrics.request(InferenceMetrics.HTTP, MODELS, "200", null);
            return Response.ok(m.toString(), MediaType.APPLICATION_JSON).build();
        } catch (RuntimeException t) {
            return error(MODELS, OpenAiError.of(t));
        }
    }

    private ObjectNode model(LoadedModel m) {
        return json.createObjectNode()
                .put("id", m.name())
                .put("object", "model")
                .put("created", System.currentTimeMillis() / 1000)
                .put("owned_by", "posemesh")
                .put("root", m.uri())
                .put("max_model_len", m.maxContext());
    }

    @POST
    @Path("/completions")
    @Blocking
    public Response completions(String body, @Context HttpServerResponse http) {
        Completion c = null;
        boolean streaming = false;
        try {
            JsonNode tree;
            try {
                tree = json.readTree(body == null ? "" : body);
            } catch (JsonProcessingException e) {
                throw OpenAiError.invalid("body", "is not valid JSON: " + e.getOriginalMessage());
            }
            CompletionRequest req = CompletionRequest.parse(tree);
            c = new Completion(runtime, metrics, req, http::closed);
            runtime.active().add(c.cancel);
            if (req.stream()) {
                Response r = stream(c);
                streaming = true;
                return r;
            }
            Collected out = new Collected(req);
            c.run(out, null);
            metrics.request(InferenceMetrics.HTTP, COMPLETIONS, "200", null);
            return Response.ok(out.toJson(c).toString(), MediaType.APPLICATION_JSON)
                    .build();
        } catch (CancellationException e) {
            metrics.request(InferenceMetrics.HTTP, COMPLETIONS, CLIENT_GONE, "CANCELLED");
            return Response.status(499).build();
        } catch (RuntimeException t) {
            return error(COMPLETIONS, OpenAiError.of(t));
        } finally {
            if (c != null && !streaming) {
                runtime.active().remove(c.cancel);
            }
        }
    }

    private Response error(String endpoint, OpenAiError e) {
        metrics.request(InferenceMetrics.HTTP, endpoint, String.valueOf(e.status), e.reason);
        return Response.status(e.status)
                .entity(e.body(json).toString())
                .type(MediaType.APPLICATION_JSON)
                .build();
    }

    /**
     * Admits prompt 0 now, so a request refused at once gets its HTTP status; then streams {@code data: {chunk}}
     * events and {@code data: [DONE]}. A later error is sent as a {@code data: {"error": …}} event before [DONE].
     */
    private Response stream(Completion c) {
        Completion.PromptRun first = c.prompt(0);
        try {
            first.admit();
        } catch (RuntimeException e) {
            first.close();
            throw e;
        }
        StreamingOutput body = os -> {
            Sse sse = new Sse(os, c);
            String status = "200";
            String reason = null;
            try {
                c.run(sse, first);
                if (c.req.includeUsage()) {
                    ObjectNode last = chunk(c);
                    last.putArray("choices");
                    last.set("usage", usage(c));
                    sse.event(last.toString());
                }
                sse.event("[DONE]");
            } catch (CancellationException | UncheckedIOException e) {
                c.cancel();
                status = CLIENT_GONE;
                reason = "CANCELLED";
            } catch (RuntimeException t) {
                OpenAiError e = OpenAiError.of(t);
                reason = e.reason;
                try {
                    sse.event(e.body(json).toString());
                    sse.event("[DONE]");
                } catch (UncheckedIOException gone) {
                    status = CLIENT_GONE;
                }
            } finally {
                first.close();
                runtime.active().remove(c.cancel);
                metrics.request(InferenceMetrics.HTTP, COMPLETIONS, status, reason);
            }
        };
        return Response.ok(body, "text/event-stream")
                .header("Cache-Control", "no-cache")
                .header("X-Accel-Buffering", "no")
                .build();
    }

    private ObjectNode chunk(Completion c) {
        return json.createObjectNode()
                .put("id", c.id)
                .put("object", "text_completion")
                .put("created", c.created)
                .put("model", c.model);
    }

    private ObjectNode usage(Completion c) {
        return json.createObjectNode()
                .put("prompt_tokens", c.promptTokens())
                .put("completion_tokens", c.completionTokens())
                .put("total_tokens", c.promptTokens() + c.completionTokens());
    }

    /** Choices gathered whole, for one JSON response. */
    private final class Collected implements Completion.Sink {
        private final StringBuilder[] text;
        private final Logprobs[] logprobs;
        private final String[] finish;

        Collected(CompletionRequest req) {
            int n = req.prompts().size();
            text = new StringBuilder[n];
            logprobs = new Logprobs[n];
            finish = new String[n];
            for (int i = 0; i < n; i++) {
                text[i] = new StringBuilder();
                logprobs[i] = req.logprobs() != null ? new Logprobs() : null;
            }
        }

        @Override
        public synchronized void text(int index, String t, Logprobs lp) {
            text[index].append(t);
            if (lp != null) {
                logprobs[index].addAll(lp);
            }
        }

        @Override
        public synchronized void finish(int index, String reason) {
            finish[index] = reason;
        }

        synchronized ObjectNode toJson(Completion c) {
            ObjectNode r = chunk(c);
            ArrayNode choices = r.putArray("choices");
            for (int i = 0; i < text.length; i++) {
                ObjectNode ch =
                        choices.addObject().put("text", text[i].toString()).put("index", i);
                ch.set("logprobs", logprobs[i] == null ? null : logprobs[i].toJson(json));
                ch.put("finish_reason", finish[i]);
            }
            r.set("usage", usage(c));
            return r;
        }
    }

    /** Server-sent events as OpenAI sends them: {@code data: <json>\n\n}, flushed one by one. */
    private final class Sse implements Completion.Sink {
        private final OutputStream os;
        private final Completion c;

        Sse(OutputStream os, Completion c) {
            this.os = os;
            this.c = c;
        }

        @Override
        public void text(int index, String text, Logprobs lp) {
            if (text.isEmpty() && lp == null) {
                return; // a character or a possible stop sequence is still incomplete
            }
            choice(index, text, lp, null);
        }

        @Override
        public void finish(int index, String reason) {
            choice(index, "", null, reason);
        }

        private void choice(int index, String text, Logprobs lp, String finish) {
            ObjectNode r = chunk(c);
            ObjectNode ch = r.putArray("choices").addObject().put("text", text).put("index", index);
            ch.set("logprobs", lp == null ? null : lp.toJson(json));
            ch.put("finish_reason", finish);
            event(r.toString());
        }

        synchronized void event(String data) {
            try {
                os.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
                os.flush();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
