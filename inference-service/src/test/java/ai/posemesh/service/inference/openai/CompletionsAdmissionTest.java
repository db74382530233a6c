package ai.posemesh.service.inference.openai;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.service.inference.InferenceRuntime;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.grpc.Context;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.http.TestHTTPResource;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Iterator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The token budget over HTTP (262144 in tests): 429 when full; a client that goes away frees its slot (stream or not). */
@QuarkusTest
class CompletionsAdmissionTest {

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    @Inject
    InferenceRuntime runtime;

    @TestHTTPResource("/v1/completions")
    URI completions;

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.LONG);
    }

    /** prompt 10 + max_tokens: holds that many tokens of the budget while it runs. */
    static ObjectNode big(int maxTokens) {
        ObjectNode body = CompletionsTest.request()
                .put("model", TestModels.LONG)
                .put("max_tokens", maxTokens)
                .put("temperature", 0)
                .put("ignore_eos", true);
        body.set("prompt", CompletionsTest.ids(TinyModels.ids(10, 1)));
        return body;
    }

    long inUse() {
        return runtime.engine().budget().inUse();
    }

    void awaitBudgetFree() throws InterruptedException {
        Rpc.awaitReserved(runtime.engine().budget(), 0, "the slot is freed");
    }

    @Test
    void overBudgetIsTooManyRequests() throws Exception {
        try (Context.CancellableContext call = Context.current().withCancellation()) {
            Iterator<GenerateResponse> a = call.call(() -> inference.generate(GenerateRequest.newBuilder()
                    .setModel(TestModels.LONG)
                    .setPrompt(Rpc.ids(TinyModels.ids(10, 1)))
                    .setSampling(SamplingParams.newBuilder()
                            .setMaxNewTokens(200_000)
                            .setTemperature(0)
                            .setIgnoreEos(true))
                    .build()));
            assertTrue(a.next().hasPrefill()); // admitted: the budget holds its 200010 tokens
            JsonNode e = CompletionsTest.refused(big(100_000), 429);
            assertEquals("token_budget_exhausted", e.get("code").asText());
            assertTrue(e.get("message").asText().contains("200010 of the server's 262144 tokens"), e.toString());
            call.cancel(null);
        }
        awaitBudgetFree();
    }

    @Test
    void aStreamingClientThatGoesAwayFreesItsSlot() throws Exception {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest req = HttpRequest.newBuilder(completions)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(
                        big(200_000).put("stream", true).toString()))
                .build();
        HttpResponse<InputStream> r = client.send(req, HttpResponse.BodyHandlers.ofInputStream());
        assertEquals(200, r.statusCode());
        try (InputStream body = r.body()) {
            BufferedReader lines = new BufferedReader(new InputStreamReader(body, StandardCharsets.UTF_8));
            String first = lines.readLine();
            assertTrue(first.startsWith("data: {"), first);
            assertEquals(200_010, inUse(), "admitted and generating");
        } // closing the body mid-stream drops the connection
        awaitBudgetFree();
    }

    @Test
    void aClientThatTimesOutFreesItsSlot() throws Exception {
        HttpRequest req = HttpRequest.newBuilder(completions)
                .header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(2))
                .POST(HttpRequest.BodyPublishers.ofString(big(200_000).toString()))
                .build();
        CompletableFuture<HttpResponse<String>> r =
                HttpClient.newHttpClient().sendAsync(req, HttpResponse.BodyHandlers.ofString());
        Rpc.awaitReserved(runtime.engine().budget(), 200_010, "admitted and generating");
        ExecutionException e = assertThrows(ExecutionException.class, () -> r.get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause() instanceof HttpTimeoutException, e.toString());
        awaitBudgetFree();
    }
}
