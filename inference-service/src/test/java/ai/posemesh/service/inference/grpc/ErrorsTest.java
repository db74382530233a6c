package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.PromptChunk;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import ai.posemesh.proto.inference.v1.UploadHeader;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import com.google.rpc.ErrorInfo;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Typed errors: the gRPC code, google.rpc.ErrorInfo reason and metadata, BadRequest for a bad field. */
@QuarkusTest
class ErrorsTest {

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    /** Client-streaming calls need the async stub, which Quarkus does not inject: build it on the channel. */
    @GrpcClient("inference")
    Channel channel;

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.TINY);
    }

    GenerateRequest.Builder request(long[] prompt, int maxNew) {
        return GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Rpc.ids(prompt))
                .setSampling(SamplingParams.newBuilder().setMaxNewTokens(maxNew));
    }

    void generate(GenerateRequest.Builder r) {
        inference.generate(r.build()).forEachRemaining(x -> {});
    }

    @Test
    void overLengthIsOutOfRangeWithTheNumbers() {
        ErrorInfo info = Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> generate(request(TinyModels.ids(4000, 1), 100)));
        assertEquals("4000", info.getMetadataOrThrow("prompt_tokens"));
        assertEquals("100", info.getMetadataOrThrow("max_new_tokens"));
        assertEquals("4096", info.getMetadataOrThrow("max_context"));
        StatusRuntimeException e =
                assertThrows(StatusRuntimeException.class, () -> generate(request(TinyModels.ids(4000, 1), 100)));
        assertEquals(
                "prompt has 4000 tokens + max_new_tokens 100 = 4100 > max_context 4096 of model 'tiny'; "
                        + "shorten the prompt or lower max_new_tokens",
                e.getStatus().getDescription());
        info = Rpc.refused(
                Status.Code.OUT_OF_RANGE,
                "CONTEXT_LENGTH_EXCEEDED",
                () -> inference
                        .score(ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(TinyModels.ids(5000, 1)))
                                .build())
                        .hasNext());
        assertEquals("5000", info.getMetadataOrThrow("prompt_tokens"));
    }

    @Test
    void badArgumentsNameTheirField() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> generate(request(TinyModels.ids(10, 2), 5)
                        .setSampling(SamplingParams.newBuilder().setTemperature(-1))));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("INVALID_SAMPLING", Rpc.detail(e, ErrorInfo.class).getReason());
        assertEquals(
                "sampling.temperature", Rpc.badRequest(e).getFieldViolations(0).getField());
        assertTrue(e.getStatus().getDescription().startsWith("sampling.temperature: must be in [0, 100]"));

        Rpc.refused(
                Status.Code.INVALID_ARGUMENT,
                "INVALID_SAMPLING",
                () -> generate(request(TinyModels.ids(10, 2), 5)
                        .setSampling(SamplingParams.newBuilder().setTopP(0))));
        Rpc.refused(Status.Code.INVALID_ARGUMENT, "EMPTY_PROMPT", () -> generate(request(new long[0], 5)));
        Rpc.refused(
                Status.Code.INVALID_ARGUMENT,
                "EMPTY_PROMPT",
                () -> generate(
                        request(new long[0], 5).setPrompt(Prompt.newBuilder().setText(""))));
        ErrorInfo info = Rpc.refused(
                Status.Code.INVALID_ARGUMENT,
                "TOKEN_OUT_OF_VOCABULARY",
                () -> generate(request(new long[] {256, 65, 300}, 5)));
        assertEquals(
                Map.of("field", "prompt.tokens.ids", "index", "2", "token_id", "300", "vocab_size", "259"),
                info.getMetadataMap());
        Rpc.refused(
                Status.Code.INVALID_ARGUMENT,
                "INVALID_WINDOW",
                () -> inference
                        .score(ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(TinyModels.ids(100, 2)))
                                .setWindow(50)
                                .setStride(50)
                                .build())
                        .hasNext());
    }

    @Test
    void unknownModelsAreNotFound() {
        ErrorInfo info = Rpc.refused(
                Status.Code.NOT_FOUND,
                "MODEL_NOT_FOUND",
                () -> generate(request(TinyModels.ids(10, 3), 5).setModel("no-such-model")));
        assertEquals("no-such-model", info.getMetadataOrThrow("model"));
        assertTrue(info.getMetadataOrThrow("loaded").contains(TestModels.TINY));
        Rpc.refused(
                Status.Code.NOT_FOUND,
                "MODEL_NOT_FOUND",
                () -> inference.unloadModel(UnloadModelRequest.newBuilder()
                        .setModel("no-such-model")
                        .build()));
        Rpc.refused(
                Status.Code.ALREADY_EXISTS,
                "MODEL_ALREADY_LOADED",
                () -> inference.loadModel(LoadModelRequest.newBuilder()
                        .setName(TestModels.TINY)
                        .setUri(TestModels.dir(TestModels.TINY).toString())
                        .build()));
        Rpc.refused(
                Status.Code.FAILED_PRECONDITION,
                "CHECKPOINT_UNREADABLE",
                () -> inference.loadModel(LoadModelRequest.newBuilder()
                        .setUri("/nonexistent/model")
                        .build()));
    }

    @Test
    void manifestsAreChecked() throws Exception {
        Path dir = Path.of("target/test-models/with-manifest").toAbsolutePath();
        Files.createDirectories(dir);
        try (Stream<Path> s = Files.list(TestModels.dir(TestModels.TINY))) {
            for (Path f : s.toList()) {
                Files.copy(f, dir.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        String sha = TinyModels.writeManifest(dir, 7);
        ErrorInfo info = Rpc.refused(
                Status.Code.FAILED_PRECONDITION,
                "MANIFEST_MISMATCH",
                () -> inference.loadModel(LoadModelRequest.newBuilder()
                        .setName("checked")
                        .setUri(dir.toUri().toString())
                        .setExpectedManifestSha256("0".repeat(64))
                        .build()));
        assertEquals(sha, info.getMetadataOrThrow("actual_sha256"));
        ModelInfo m = inference.loadModel(LoadModelRequest.newBuilder()
                .setName("checked")
                .setUri(dir.toUri().toString())
                .setExpectedManifestSha256(sha)
                .build());
        assertEquals(sha, m.getManifestSha256());
        inference.unloadModel(
                UnloadModelRequest.newBuilder().setModel("checked").build());
        Files.writeString(dir.resolve("tokenizer_config.json"), "{}");
        info = Rpc.refused(
                Status.Code.FAILED_PRECONDITION,
                "MANIFEST_MISMATCH",
                () -> inference.loadModel(LoadModelRequest.newBuilder()
                        .setName("checked")
                        .setUri(dir.toString())
                        .setExpectedManifestSha256(sha)
                        .build()));
        assertEquals("tokenizer_config.json", info.getMetadataOrThrow("file"));
    }

    @Test
    void uploadsOutOfOrderAreInvalid() throws Exception {
        StatusRuntimeException e = uploadError(List.of(GenerateUploadRequest.newBuilder()
                .setChunk(PromptChunk.newBuilder().setText("hi"))
                .build()));
        assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
        assertEquals("header", Rpc.badRequest(e).getFieldViolations(0).getField());
        GenerateUploadRequest header = GenerateUploadRequest.newBuilder()
                .setHeader(UploadHeader.newBuilder().setModel(TestModels.TINY))
                .build();
        e = uploadError(List.of(
                header,
                GenerateUploadRequest.newBuilder()
                        .setChunk(PromptChunk.newBuilder().setText("hi"))
                        .build(),
                GenerateUploadRequest.newBuilder()
                        .setChunk(PromptChunk.newBuilder()
                                .setTokens(Rpc.ids(new long[] {1}).getTokens()))
                        .build()));
        assertEquals("chunk", Rpc.badRequest(e).getFieldViolations(0).getField());
        e = uploadError(List.of(header));
        assertEquals("EMPTY_PROMPT", Rpc.detail(e, ErrorInfo.class).getReason());
        e = uploadError(List.of(GenerateUploadRequest.newBuilder()
                .setHeader(UploadHeader.newBuilder().setModel("no-such-model"))
                .build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }

    StatusRuntimeException uploadError(List<GenerateUploadRequest> parts) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        List<GenerateResponse> got = new ArrayList<>();
        StreamObserver<GenerateUploadRequest> out =
                InferenceGrpc.newStub(channel).generateUpload(GenerateTest.observer(got::add, done));
        parts.forEach(out::onNext);
        out.onCompleted();
        ExecutionException x = assertThrows(ExecutionException.class, () -> done.get(30, TimeUnit.SECONDS));
        return (StatusRuntimeException) x.getCause();
    }
}
