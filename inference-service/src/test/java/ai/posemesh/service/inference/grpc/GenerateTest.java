package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.GetModelInfoRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.PromptChunk;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.TokenizeRequest;
import ai.posemesh.proto.inference.v1.UploadEnd;
import ai.posemesh.proto.inference.v1.UploadHeader;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Generate and GenerateUpload over a real socket against the model library used directly. */
@QuarkusTest
class GenerateTest {

    /** The service's posemesh.inference.prefill-chunk in tests. */
    static final int PREFILL_CHUNK = 512;

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    /** Client-streaming calls need the async stub, which Quarkus does not inject: build it on the channel. */
    @GrpcClient("inference")
    Channel channel;

    static NDManager manager;
    static Llama reference;
    static TextTokenizer tokenizer;

    @BeforeAll
    static void reference() throws Exception {
        Path dir = TestModels.dir(TestModels.TINY);
        manager = Engines.newManager();
        reference = HfCheckpoint.load(dir, manager);
        tokenizer = TextTokenizer.load(dir);
    }

    @AfterAll
    static void close() {
        tokenizer.close();
        manager.close();
    }

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.TINY);
    }

    static SamplingParams greedy(int maxNew) {
        return SamplingParams.newBuilder()
                .setMaxNewTokens(maxNew)
                .setTemperature(0)
                .build();
    }

    @Test
    void greedyStreamEqualsTheGreedyDecoder() {
        long[] prompt = TinyModels.ids(700, 1); // two prefill chunks
        Rpc.Stream s = Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Rpc.ids(prompt))
                .setSampling(greedy(20))
                .build()));
        long[] want =
                GreedyDecoder.generate(reference, prompt, 20, Set.of((long) ByteLevelTokenizer.EOS), PREFILL_CHUNK);
        assertEquals(Arrays.stream(want).boxed().toList(), s.ids());
        assertEquals(
                List.of("0/700", "512/700", "700/700"),
                s.prefill().stream().map(p -> p[0] + "/" + p[1]).toList());
        assertEquals(tokenizer.decode(want, true), s.text());
        assertEquals(
                want.length == 20 ? FinishReason.FINISH_REASON_LENGTH : FinishReason.FINISH_REASON_EOS,
                s.fin().getFinishReason());
        assertEquals(700, s.fin().getPromptTokens());
        assertEquals(want.length, s.fin().getGeneratedTokens());
        assertTrue(
                s.fin().getTimeToFirstTokenMs() > 0
                        && s.fin().getPrefillTokensPerSecond() > 0
                        && s.fin().getDecodeTokensPerSecond() > 0,
                s.fin().toString());
        assertTrue(s.logprobs().stream().allMatch(lp -> lp < 0));
    }

    @Test
    void textPromptAndStopSequence() {
        String text = "The passkey is 68513. Remember it. ";
        GenerateRequest.Builder req = GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Prompt.newBuilder().setText(text))
                .setSampling(greedy(30).toBuilder().setIgnoreEos(true));
        Rpc.Stream full = Rpc.collect(inference.generate(req.build()));
        long[] want = GreedyDecoder.generate(reference, tokenizer.encode(text, true), 30, Set.of(), PREFILL_CHUNK);
        assertEquals(Arrays.stream(want).boxed().toList(), full.ids());
        String stop = full.text().substring(5, 8);
        Rpc.Stream stopped = Rpc.collect(inference.generate(
                req.setSampling(req.getSampling().toBuilder().addStop(stop)).build()));
        assertEquals(FinishReason.FINISH_REASON_STOP, stopped.fin().getFinishReason());
        assertEquals(stop, stopped.fin().getStopSequence());
        assertEquals(full.text().substring(0, full.text().indexOf(stop)), stopped.text());
    }

    @Test
    void uploadedChunksGiveTheSameResultAsTheWholePrompt() throws Exception {
        String text = "Positional skip-wise training: extend the context window — with short inputs. ".repeat(12);
        SamplingParams sampling = SamplingParams.newBuilder()
                .setMaxNewTokens(12)
                .setTemperature(0.9)
                .setTopK(40)
                .setSeed(1234)
                .build();
        Rpc.Stream whole = Rpc.collect(inference.generate(GenerateRequest.newBuilder()
                .setModel(TestModels.TINY)
                .setPrompt(Prompt.newBuilder().setText(text))
                .setSampling(sampling)
                .build()));

        List<GenerateUploadRequest> parts = new ArrayList<>();
        parts.add(header(sampling));
        for (int i = 0; i < text.length(); i += 37) { // mid-word, and through the multi-byte dash
            parts.add(GenerateUploadRequest.newBuilder()
                    .setChunk(PromptChunk.newBuilder().setText(text.substring(i, Math.min(i + 37, text.length()))))
                    .build());
        }
        parts.add(GenerateUploadRequest.newBuilder()
                .setEnd(UploadEnd.getDefaultInstance())
                .build());
        assertEquals(whole.ids(), upload(parts).ids());

        long[] ids = tokenizer.encode(text, true);
        parts = new ArrayList<>();
        parts.add(header(sampling));
        for (int i = 0; i < ids.length; i += 100) {
            TokenIds.Builder t = TokenIds.newBuilder();
            for (int j = i; j < Math.min(i + 100, ids.length); j++) {
                t.addIds((int) ids[j]);
            }
            parts.add(GenerateUploadRequest.newBuilder()
                    .setChunk(PromptChunk.newBuilder().setTokens(t))
                    .build());
        }
        Rpc.Stream byIds = upload(parts); // no `end`: half-closing ends the upload too
        assertEquals(whole.ids(), byIds.ids());
        assertEquals(whole.text(), byIds.text());
        assertEquals(ids.length, byIds.fin().getPromptTokens());
    }

    static GenerateUploadRequest header(SamplingParams sampling) {
        return GenerateUploadRequest.newBuilder()
                .setHeader(UploadHeader.newBuilder().setModel(TestModels.TINY).setSampling(sampling))
                .build();
    }

    /** Sends the parts, half-closes, and collects the response stream. */
    Rpc.Stream upload(List<GenerateUploadRequest> parts) throws Exception {
        List<GenerateResponse> got = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        StreamObserver<GenerateUploadRequest> out =
                InferenceGrpc.newStub(channel).generateUpload(observer(got::add, done));
        parts.forEach(out::onNext);
        out.onCompleted();
        done.get(60, TimeUnit.SECONDS);
        return Rpc.collect(got.iterator());
    }

    static <T> StreamObserver<T> observer(Consumer<T> onNext, CompletableFuture<Void> done) {
        return new StreamObserver<>() {
            @Override
            public void onNext(T value) {
                onNext.accept(value);
            }

            @Override
            public void onError(Throwable t) {
                done.completeExceptionally(t);
            }

            @Override
            public void onCompleted() {
                done.complete(null);
            }
        };
    }

    @Test
    void modelInfoAndTokenize() {
        ModelInfo info = inference.getModelInfo(
                GetModelInfoRequest.newBuilder().setModel(TestModels.TINY).build());
        assertEquals(4096, info.getMaxContext());
        assertEquals(4096, info.getBaseContext());
        assertEquals(259, info.getVocabSize());
        assertEquals(ByteLevelTokenizer.BOS, info.getBosTokenId());
        assertEquals(ByteLevelTokenizer.EOS, info.getEosTokenId());
        assertEquals(2, info.getArchitecture().getNumLayers());
        assertEquals("default", info.getArchitecture().getRope().getRopeType());
        assertEquals(4095, info.getCapabilities().getMaxPromptTokens());
        assertEquals(262144, info.getCapabilities().getTokenBudget());
        assertTrue(info.getUri().startsWith("file:/"), info.getUri());
        // no model named: the first loaded (all test models share the byte-level tokenizer)
        var t = inference.tokenize(
                TokenizeRequest.newBuilder().setText("hi there").build());
        assertEquals(List.of(256, 104, 105, 32, 116, 104, 101, 114, 101), t.getIdsList());
        assertEquals("<s>", t.getTokens(0));
    }
}
