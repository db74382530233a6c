package ai.posemesh.service.inference.openai;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import io.restassured.response.Response;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** POST /v1/completions and GET /v1/models over real HTTP against the gRPC API on the same service. */
@QuarkusTest
class CompletionsTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    static TextTokenizer tokenizer;

    @BeforeAll
    static void tokenizer() throws Exception {
        tokenizer = TextTokenizer.load(TestModels.dir(TestModels.TINY));
    }

    @AfterAll
    static void close() {
        tokenizer.close();
    }

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.TINY);
    }

    static ObjectNode request() {
        return JSON.createObjectNode().put("model", TestModels.TINY);
    }

    static ArrayNode ids(long[] ids) {
        ArrayNode a = JSON.createArrayNode();
        for (long id : ids) {
            a.add(id);
        }
        return a;
    }

    static Response post(JsonNode body) {
        return given().contentType(ContentType.JSON)
                .body(body.toString())
                .when()
                .post("/v1/completions");
    }

    static JsonNode ok(JsonNode body) throws Exception {
        Response r = post(body);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("application/json"), r.contentType());
        return JSON.readTree(r.asString());
    }

    /** The OpenAI error object of a refused request, after checking its status and shape. */
    static JsonNode refused(JsonNode body, int status) throws Exception {
        Response r = post(body);
        assertEquals(status, r.statusCode(), r.asString());
        JsonNode e = JSON.readTree(r.asString()).get("error");
        assertNotNull(e, r.asString());
        for (String f : List.of("message", "type", "param", "code")) {
            assertTrue(e.has(f), "error." + f + " in " + e);
        }
        return e;
    }

    /** gRPC Score logprobs, greedy flags and top-1 alternatives of ids. */
    List<ScoreResponse> score(long[] ids) {
        List<ScoreResponse> out = new ArrayList<>();
        inference
                .score(ScoreRequest.newBuilder()
                        .setModel(TestModels.TINY)
                        .setInput(Rpc.ids(ids))
                        .setTopLogprobs(1)
                        .build())
                .forEachRemaining(out::add);
        return out;
    }

    static List<Double> logprobs(List<ScoreResponse> rs) {
        List<Double> out = new ArrayList<>();
        rs.forEach(r -> out.addAll(r.getLogprobsList()));
        return out;
    }

    static List<Boolean> greedy(List<ScoreResponse> rs) {
        List<Boolean> out = new ArrayList<>();
        rs.forEach(r -> out.addAll(r.getGreedyList()));
        return out;
    }

    static double max(JsonNode top) {
        double m = Double.NEGATIVE_INFINITY;
        for (Iterator<JsonNode> it = top.elements(); it.hasNext(); ) {
            m = Math.max(m, it.next().asDouble());
        }
        return m;
    }

    /**
     * Prompt-token logprobs as lm-eval-harness reads them (token_logprobs from 1 on; is_greedy = each token's logprob
     * is the largest in its top_logprobs) equal gRPC Score's.
     */
    static void assertPromptLogprobs(JsonNode lp, List<Double> want, List<Boolean> greedy, int n) {
        assertTrue(lp.get("token_logprobs").get(0).isNull(), "nothing predicts the first token");
        assertTrue(lp.get("top_logprobs").get(0).isNull());
        assertEquals(0, lp.get("text_offset").get(0).asInt());
        for (int i = 1; i < n; i++) {
            double got = lp.get("token_logprobs").get(i).asDouble();
            assertEquals(want.get(i - 1), got, 1e-9, "token " + i);
            JsonNode top = lp.get("top_logprobs").get(i);
            assertTrue(top.size() >= 1 && top.size() <= 2, top.toString());
            assertEquals(greedy.get(i - 1), got == max(top), "is_greedy at " + i + ": " + top);
            assertTrue(lp.get("text_offset").get(i).asInt()
                    >= lp.get("text_offset").get(i - 1).asInt());
        }
    }

    @Test
    void echoWithLogprobsEqualsScore() throws Exception {
        // random bytes, then the model's own greedy continuation: targets it does and does not predict
        long[] random = TinyModels.ids(250, 11);
        Rpc.Stream more = Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Rpc.ids(random))
                .setSampling(greedy(50).toBuilder().setIgnoreEos(true))
                .build()));
        long[] ids = java.util.stream.LongStream.concat(
                        java.util.Arrays.stream(random), more.ids().stream().mapToLong(Long::longValue))
                .toArray();
        List<ScoreResponse> scored = score(ids);
        JsonNode r = ok(request()
                .put("max_tokens", 0)
                .put("echo", true)
                .put("logprobs", 1)
                .set("prompt", ids(ids)));
        assertEquals("text_completion", r.get("object").asText());
        assertEquals(TestModels.TINY, r.get("model").asText());
        assertTrue(r.get("id").asText().startsWith("cmpl-"));
        JsonNode choice = r.get("choices").get(0);
        assertEquals(0, choice.get("index").asInt());
        assertEquals("length", choice.get("finish_reason").asText());
        assertEquals(tokenizer.decode(ids, true), choice.get("text").asText(), "echo: the prompt as text");
        JsonNode lp = choice.get("logprobs");
        assertEquals(300, lp.get("tokens").size());
        assertEquals("<s>", lp.get("tokens").get(0).asText());
        assertPromptLogprobs(lp, logprobs(scored), greedy(scored), 300);
        assertTrue(greedy(scored).contains(true) && greedy(scored).contains(false), "both cases are checked");
        assertEquals(300, r.get("usage").get("prompt_tokens").asInt());
        assertEquals(0, r.get("usage").get("completion_tokens").asInt());
        assertEquals(300, r.get("usage").get("total_tokens").asInt());
    }

    /** What lm-eval-harness' local-completions sends for loglikelihood: a batch, echo, max_tokens 1, logprobs 1. */
    @Test
    void lmEvalLoglikelihoodBatches() throws Exception {
        List<String> texts = List.of("The capital of France is Paris", "Once upon a time there was a fox");
        ObjectNode body = request()
                .put("max_tokens", 1)
                .put("echo", true)
                .put("logprobs", 1)
                .put("temperature", 0)
                .put("seed", 1234);
        body.putArray("prompt").add(texts.get(0)).add(texts.get(1));
        JsonNode byText = ok(body);
        ArrayNode batch = body.putArray("prompt");
        texts.forEach(t -> batch.add(ids(tokenizer.encode(t, true))));
        JsonNode byIds = ok(body);

        int promptTokens = 0;
        for (int i = 0; i < texts.size(); i++) {
            long[] ids = tokenizer.encode(texts.get(i), true);
            promptTokens += ids.length;
            List<ScoreResponse> scored = score(ids);
            Rpc.Stream next = Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                    .setModel(TestModels.TINY)
                    .setPrompt(Rpc.ids(ids))
                    .setSampling(greedy(1))
                    .build()));
            for (JsonNode r : List.of(byText, byIds)) {
                JsonNode c = r.get("choices").get(i);
                assertEquals(i, c.get("index").asInt());
                JsonNode lp = c.get("logprobs");
                assertEquals(ids.length + 1, lp.get("token_logprobs").size(), "prompt tokens, then the generated one");
                assertPromptLogprobs(lp, logprobs(scored), greedy(scored), ids.length);
                assertEquals(
                        next.logprobs().get(0),
                        lp.get("token_logprobs").get(ids.length).asDouble(),
                        0.0);
                assertEquals(texts.get(i) + next.text(), c.get("text").asText());
                assertEquals(
                        texts.get(i).length(),
                        lp.get("text_offset").get(ids.length).asInt());
            }
        }
        assertEquals(promptTokens, byText.get("usage").get("prompt_tokens").asInt());
        assertEquals(2, byText.get("usage").get("completion_tokens").asInt());
        assertEquals(byText.get("usage"), byIds.get("usage"));
    }

    static SamplingParams greedy(int maxNew) {
        return SamplingParams.newBuilder()
                .setMaxNewTokens(maxNew)
                .setTemperature(0)
                .build();
    }

    @Test
    void greedyCompletionEqualsTheGrpcStream() throws Exception {
        String prompt = "Once upon a time";
        Rpc.Stream want = Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Prompt.newBuilder().setText(prompt))
                .setSampling(greedy(24))
                .build()));
        JsonNode r = ok(request()
                .put("prompt", prompt)
                .put("max_tokens", 24)
                .put("temperature", 0)
                .put("logprobs", 2));
        JsonNode c = r.get("choices").get(0);
        assertEquals(want.text(), c.get("text").asText());
        assertEquals(
                want.fin().getFinishReason() == FinishReason.FINISH_REASON_LENGTH ? "length" : "stop",
                c.get("finish_reason").asText());
        JsonNode lp = c.get("logprobs");
        assertEquals(want.ids().size(), lp.get("tokens").size());
        for (int i = 0; i < want.ids().size(); i++) {
            double got = lp.get("token_logprobs").get(i).asDouble();
            assertEquals(want.logprobs().get(i), got, 0.0, "token " + i);
            JsonNode top = lp.get("top_logprobs").get(i);
            assertEquals(2, top.size(), "greedy: the chosen token is the first alternative");
            assertEquals(got, max(top), 0.0);
        }
        assertEquals(0, lp.get("text_offset").get(0).asInt());
        assertEquals(
                want.fin().getPromptTokens(),
                r.get("usage").get("prompt_tokens").asInt());
        assertEquals(
                want.fin().getGeneratedTokens(),
                r.get("usage").get("completion_tokens").asInt());
        // no model named: the first loaded; no logprobs asked: null
        JsonNode plain = ok(JSON.createObjectNode()
                .put("prompt", prompt)
                .put("max_tokens", 24)
                .put("temperature", 0));
        assertEquals(want.text(), plain.get("choices").get(0).get("text").asText());
        assertTrue(plain.get("choices").get(0).get("logprobs").isNull());
    }

    @Test
    void streamingSendsChunksThenDone() throws Exception {
        ObjectNode body = request()
                .put("prompt", "In a hole in the ground")
                .put("max_tokens", 30)
                .put("temperature", 0)
                .put("echo", true);
        String whole = ok(body).get("choices").get(0).get("text").asText();
        body.put("stream", true).putObject("stream_options").put("include_usage", true);
        Response r = post(body);
        assertEquals(200, r.statusCode(), r.asString());
        assertTrue(r.contentType().startsWith("text/event-stream"), r.contentType());
        String[] events = r.asString().split("\n\n", -1);
        assertEquals("", events[events.length - 1], "every event ends with a blank line");
        assertEquals("data: [DONE]", events[events.length - 2]);
        StringBuilder text = new StringBuilder();
        String finish = null;
        JsonNode usage = null;
        for (int i = 0; i < events.length - 2; i++) {
            assertTrue(events[i].startsWith("data: {"), events[i]);
            JsonNode chunk = JSON.readTree(events[i].substring(6));
            assertEquals("text_completion", chunk.get("object").asText());
            if (chunk.get("choices").isEmpty()) {
                usage = chunk.get("usage");
                continue;
            }
            JsonNode c = chunk.get("choices").get(0);
            assertEquals(0, c.get("index").asInt());
            assertEquals(null, finish, "nothing after the finish reason but usage");
            text.append(c.get("text").asText());
            if (!c.get("finish_reason").isNull()) {
                finish = c.get("finish_reason").asText();
            }
        }
        assertTrue(events.length > 5, "token by token: " + events.length + " events");
        assertTrue(events[0].contains("In a hole in the ground"), "the echo comes first");
        assertEquals(whole, text.toString());
        assertNotNull(finish);
        assertNotNull(usage);
        int prompt = tokenizer.encode("In a hole in the ground", true).length;
        assertEquals(prompt, usage.get("prompt_tokens").asInt());
        assertEquals(
                finish.equals("length") ? 30 : usage.get("completion_tokens").asInt(),
                usage.get("completion_tokens").asInt());
        assertEquals(
                prompt + usage.get("completion_tokens").asInt(),
                usage.get("total_tokens").asInt());
    }

    @Test
    void overLengthIsContextLengthExceeded() throws Exception {
        JsonNode e = refused(request().put("max_tokens", 100).set("prompt", ids(TinyModels.ids(4000, 1))), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        assertEquals("invalid_request_error", e.get("type").asText());
        assertEquals("prompt", e.get("param").asText());
        assertEquals(
                "prompt has 4000 tokens + max_tokens 100 = 4100 > max_context 4096 of model 'tiny'; "
                        + "shorten the prompt or lower max_tokens",
                e.get("message").asText());
        // scoring a prompt past the context, and a stream: refused before any event
        e = refused(
                request()
                        .put("max_tokens", 0)
                        .put("echo", true)
                        .put("logprobs", 0)
                        .set("prompt", ids(TinyModels.ids(5000, 1))),
                400);
        assertEquals("context_length_exceeded", e.get("code").asText());
        e = refused(
                request().put("max_tokens", 100).put("stream", true).set("prompt", ids(TinyModels.ids(4000, 1))), 400);
        assertEquals("context_length_exceeded", e.get("code").asText());
    }

    @Test
    void badRequestsNameTheirParameter() throws Exception {
        JsonNode e = refused(request().put("model", "no-such-model").put("prompt", "hi"), 404);
        assertEquals("model_not_found", e.get("code").asText());
        assertEquals("model", e.get("param").asText());
        e = refused(request().put("prompt", "hi").put("temperature", -1), 400);
        assertEquals("temperature", e.get("param").asText());
        assertEquals("invalid_sampling", e.get("code").asText());
        assertTrue(e.get("message").asText().startsWith("temperature: must be in [0, 100]"), e.toString());
        assertEquals(
                "logprobs",
                refused(request().put("prompt", "hi").put("logprobs", 6), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "max_tokens",
                refused(request().put("prompt", "hi").put("max_tokens", 0), 400)
                        .get("param")
                        .asText());
        assertEquals(
                "prompt", refused(request().put("prompt", ""), 400).get("param").asText());
        e = refused(request().set("prompt", ids(new long[] {256, 65, 300})), 400);
        assertEquals("token_out_of_vocabulary", e.get("code").asText());
        assertEquals("prompt", e.get("param").asText());
        assertEquals(
                "unsupported_value",
                refused(request().put("prompt", "hi").put("n", 2), 400)
                        .get("code")
                        .asText());
        Response r = given().contentType(ContentType.JSON)
                .body("{\"prompt\": ")
                .when()
                .post("/v1/completions");
        assertEquals(400, r.statusCode());
        assertTrue(
                JSON.readTree(r.asString()).get("error").get("message").asText().startsWith("body: is not valid"));
    }

    @Test
    void modelsListsTheLoadedModels() throws Exception {
        Response r = given().when().get("/v1/models");
        assertEquals(200, r.statusCode());
        JsonNode list = JSON.readTree(r.asString());
        assertEquals("list", list.get("object").asText());
        JsonNode tiny = null;
        for (JsonNode m : list.get("data")) {
            assertEquals("model", m.get("object").asText());
            if (m.get("id").asText().equals(TestModels.TINY)) {
                tiny = m;
            }
        }
        assertNotNull(tiny, list.toString());
        assertEquals(4096, tiny.get("max_model_len").asInt());
        assertEquals(200, given().when().get("/v1/models/" + TestModels.TINY).statusCode());
        Response missing = given().when().get("/v1/models/no-such-model");
        assertEquals(404, missing.statusCode());
        assertFalse(JSON.readTree(missing.asString())
                .get("error")
                .get("message")
                .asText()
                .isEmpty());
    }
}
