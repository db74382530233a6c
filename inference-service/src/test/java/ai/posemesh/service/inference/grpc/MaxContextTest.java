package ai.posemesh.service.inference.grpc;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GetModelInfoRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ListModelsRequest;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.Arrays;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * LoadModel's max_context: a model served past its max_position_embeddings scores and generates there with the
 * numbers the library computes in-process (TokenScorer, GreedyDecoder on the same weights); without it the window
 * still refuses; a negative value names its field.
 */
@QuarkusTest
class MaxContextTest {

    /** The SHORT model's max_position_embeddings. */
    static final int WINDOW = 128;
    /** The context it is served with past its window. */
    static final int PAST = 512;

    static final String OWN = "short-own";
    static final String SERVED_PAST = "short-past";

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    static NDManager manager;
    static Llama reference;

    @BeforeAll
    static void reference() throws Exception {
        manager = Engines.newManager();
        reference = HfCheckpoint.load(TestModels.dir(TestModels.SHORT), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    /** Leaves the service with the models the other tests expect (this class's names unloaded). */
    @AfterEach
    void unload() {
        for (ModelInfo m :
                inference.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()) {
            if (m.getName().startsWith("short-")) {
                inference.unloadModel(
                        UnloadModelRequest.newBuilder().setModel(m.getName()).build());
            }
        }
    }

    ModelInfo load(String name, int maxContext) throws Exception {
        return inference.loadModel(LoadModelRequest.newBuilder()
                .setName(name)
                .setUri(TestModels.dir(TestModels.SHORT).toUri().toString())
                .setMaxContext(maxContext)
                .build());
    }

    ScoreRequest score(String model, long[] ids) {
        return ScoreRequest.newBuilder()
                .setModel(model)
                .setInput(Rpc.ids(ids))
                .setChunkTokens(100)
                .build();
    }

    GenerateRequest generate(String model, long[] prompt, int maxNew) {
        return GenerateRequest.newBuilder()
                .setModel(model)
                .setPrompt(Rpc.ids(prompt))
                .setSampling(SamplingParams.newBuilder().setTemperature(0).setMaxNewTokens(maxNew))
                .build();
    }

    @Test
    void pastTheWindowScoreAndGenerateRunWithTheLibrarysNumbers() throws Exception {
        ModelInfo info = load(SERVED_PAST, PAST);
        assertEquals(PAST, info.getMaxContext(), "the served context");
        assertEquals(WINDOW, info.getMaxPositionEmbeddings(), "config.json's window");
        assertEquals(WINDOW, info.getBaseContext());
        assertEquals(PAST - 1, info.getCapabilities().getMaxPromptTokens());
        assertEquals(PAST, info.getCapabilities().getMaxScoreTokens());
        assertEquals(
                info,
                inference.getModelInfo(
                        GetModelInfoRequest.newBuilder().setModel(SERVED_PAST).build()));
        given().when().get("/v1/models/" + SERVED_PAST).then().statusCode(200).body("max_model_len", is(PAST));

        // one pass over 400 tokens: positions 128..399 are past the window; the service adds no math
        long[] ids = TinyModels.ids(400, 5);
        TokenScorer.Result want = TokenScorer.score(reference, ids, TokenScorer.Options.onePass());
        ScoreTest.assertScores(want, ScoreTest.score(inference, score(SERVED_PAST, ids)), 100);
        // exactly the served context still fits; one more token does not
        ScoreTest.assertScores(
                TokenScorer.score(reference, TinyModels.ids(PAST, 6), TokenScorer.Options.onePass()),
                ScoreTest.score(inference, score(SERVED_PAST, TinyModels.ids(PAST, 6))),
                100);
        ErrorInfo over = Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> inference
                        .score(score(SERVED_PAST, TinyModels.ids(PAST + 1, 6)))
                        .hasNext());
        assertEquals(String.valueOf(PAST), over.getMetadataOrThrow("max_context"));

        // greedy generation from a 300-token prompt to 320 positions equals the greedy decoder on the same weights
        long[] prompt = TinyModels.ids(300, 7);
        Rpc.Stream s = Rpc.collect(inference.generate(generate(SERVED_PAST, prompt, 20)));
        long[] greedy = GreedyDecoder.generate(
                reference, prompt, 20, Set.of((long) ByteLevelTokenizer.EOS), GenerateTest.PREFILL_CHUNK);
        assertEquals(Arrays.stream(greedy).boxed().toList(), s.ids());
        assertEquals(300, s.fin().getPromptTokens());
        Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> inference
                        .generate(generate(SERVED_PAST, prompt, PAST - 299))
                        .hasNext());
    }

    @Test
    void withoutMaxContextTheWindowStillRefuses() throws Exception {
        ModelInfo info = load(OWN, 0);
        assertEquals(WINDOW, info.getMaxContext(), "0 = max_position_embeddings");
        assertEquals(WINDOW, info.getMaxPositionEmbeddings());
        ErrorInfo e = Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> inference.score(score(OWN, TinyModels.ids(200, 5))).hasNext());
        assertEquals(String.valueOf(WINDOW), e.getMetadataOrThrow("max_context"));
        e = Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> inference
                        .generate(generate(OWN, TinyModels.ids(120, 5), 20))
                        .hasNext());
        assertEquals("120", e.getMetadataOrThrow("prompt_tokens"));
        assertEquals(String.valueOf(WINDOW), e.getMetadataOrThrow("max_context"));
        // within the window it runs, and a name already loaded keeps its context whatever max_context says
        ScoreTest.assertScores(
                TokenScorer.score(reference, TinyModels.ids(WINDOW, 5), TokenScorer.Options.onePass()),
                ScoreTest.score(inference, score(OWN, TinyModels.ids(WINDOW, 5))),
                100);
        Rpc.refused(Status.Code.ALREADY_EXISTS, "MODEL_ALREADY_LOADED", () -> load(OWN, PAST));
        assertEquals(
                WINDOW,
                inference
                        .getModelInfo(
                                GetModelInfoRequest.newBuilder().setModel(OWN).build())
                        .getMaxContext());
    }

    @Test
    void aNegativeMaxContextIsInvalidNamingTheField() {
        StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
                StatusRuntimeException.class, () -> load("short-negative", -1));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        ErrorInfo info = Rpc.detail(e, ErrorInfo.class);
        assertEquals("INVALID_REQUEST", info.getReason());
        assertEquals("max_context", info.getMetadataOrThrow("field"));
        assertEquals("max_context", Rpc.badRequest(e).getFieldViolations(0).getField());
        Rpc.refused(
                Status.Code.NOT_FOUND,
                "MODEL_NOT_FOUND",
                () -> inference.getModelInfo(GetModelInfoRequest.newBuilder()
                        .setModel("short-negative")
                        .build()));
    }
}
