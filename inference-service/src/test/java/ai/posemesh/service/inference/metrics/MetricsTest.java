package ai.posemesh.service.inference.metrics;

import static io.restassured.RestAssured.given;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.restassured.http.ContentType;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** /q/metrics after gRPC and HTTP calls: the service's meters by name, with counts. */
@QuarkusTest
class MetricsTest {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(.*)})? (\\S+)$");

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    /** The sum of the samples of {@code name} whose labels include {@code labels}; NaN when there is none. */
    static double value(String metrics, String name, Map<String, String> labels) {
        double sum = Double.NaN;
        for (String line : metrics.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!m.matches() || !m.group(1).equals(name)) {
                continue;
            }
            String l = m.group(3) == null ? "" : m.group(3);
            if (labels.entrySet().stream().allMatch(e -> l.contains(e.getKey() + "=\"" + e.getValue() + "\""))) {
                sum = (Double.isNaN(sum) ? 0 : sum) + Double.parseDouble(m.group(4));
            }
        }
        return sum;
    }

    static void positive(String metrics, String name, Map<String, String> labels) {
        double v = value(metrics, name, labels);
        assertTrue(v > 0, name + labels + " = " + v);
    }

    @Test
    void generateAndCompletionsAreMeasured() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.TINY);
        Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Rpc.ids(TinyModels.ids(40, 5)))
                .setSampling(SamplingParams.newBuilder()
                        .setMaxNewTokens(6)
                        .setTemperature(0)
                        .setIgnoreEos(true))
                .build()));
        assertThrows(
                StatusRuntimeException.class,
                () -> inference
                        .generate(GenerateRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setPrompt(Rpc.ids(TinyModels.ids(4000, 5)))
                                .setSampling(SamplingParams.newBuilder().setMaxNewTokens(100))
                                .build())
                        .hasNext());
        given().contentType(ContentType.JSON)
                .body("{\"model\": \"tiny\", \"prompt\": \"metrics\", \"max_tokens\": 3}")
                .when()
                .post("/v1/completions")
                .then()
                .statusCode(200);
        given().contentType(ContentType.JSON)
                .body("{\"model\": \"tiny\", \"prompt\": \"metrics\", \"max_tokens\": 5000}")
                .when()
                .post("/v1/completions")
                .then()
                .statusCode(400);

        String m = given().when()
                .get("/q/metrics")
                .then()
                .statusCode(200)
                .extract()
                .asString();
        positive(
                m,
                "posemesh_inference_requests_total",
                Map.of("protocol", "grpc", "endpoint", "Generate", "status", "OK"));
        positive(
                m,
                "posemesh_inference_requests_total",
                Map.of("protocol", "grpc", "endpoint", "Generate", "status", "OUT_OF_RANGE"));
        positive(
                m,
                "posemesh_inference_errors_total",
                Map.of("protocol", "grpc", "endpoint", "Generate", "reason", "CONTEXT_LENGTH_EXCEEDED"));
        positive(
                m,
                "posemesh_inference_requests_total",
                Map.of("protocol", "http", "endpoint", "/v1/completions", "status", "200"));
        positive(
                m,
                "posemesh_inference_errors_total",
                Map.of("protocol", "http", "endpoint", "/v1/completions", "reason", "CONTEXT_LENGTH_EXCEEDED"));

        Map<String, String> generate = Map.of("kind", "generate", "model", TestModels.TINY);
        positive(m, "posemesh_inference_prompt_tokens_count", generate);
        positive(m, "posemesh_inference_prompt_tokens_bucket", Map.of("kind", "generate", "le", "131072.0"));
        positive(m, "posemesh_inference_prompt_tokens_bucket", Map.of("kind", "generate", "le", "64.0"));
        assertTrue(value(m, "posemesh_inference_prompt_tokens_bucket", Map.of("le", "16.0")) >= 0, "bucket 16");
        Map<String, String> tiny = Map.of("model", TestModels.TINY);
        positive(m, "posemesh_inference_time_to_first_token_seconds_count", tiny);
        positive(m, "posemesh_inference_prefill_tokens_per_second_count", tiny);
        positive(m, "posemesh_inference_decode_tokens_per_second_count", tiny);
        positive(m, "posemesh_inference_tokens_generated_total", tiny);

        assertEquals(262144, value(m, "posemesh_inference_budget_capacity_tokens", Map.of()));
        assertTrue(value(m, "posemesh_inference_budget_reserved_tokens", Map.of()) >= 0);
        assertTrue(value(m, "posemesh_inference_streams_active", Map.of()) >= 0);
        assertTrue(value(m, "posemesh_inference_requests_queued", Map.of()) >= 0);
        positive(m, "posemesh_inference_models_loaded", Map.of());
    }
}
