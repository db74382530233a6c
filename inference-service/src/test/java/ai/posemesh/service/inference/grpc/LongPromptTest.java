package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.PromptChunk;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.UploadEnd;
import ai.posemesh.proto.inference.v1.UploadHeader;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import io.grpc.Channel;
import io.grpc.stub.StreamObserver;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.jboss.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A prompt of 131072 tokens (system property {@code posemesh.test.long-prompt-tokens}) uploaded in chunks of 8192 ids
 * to a 1-layer d=32 model with a 262144-token window: prefill progresses chunk by chunk and tokens come back.
 */
@QuarkusTest
class LongPromptTest {

    private static final Logger LOG = Logger.getLogger(LongPromptTest.class);
    static final int TOKENS = Integer.getInteger("posemesh.test.long-prompt-tokens", 131072);

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    /** Client-streaming calls need the async stub, which Quarkus does not inject: build it on the channel. */
    @GrpcClient("inference")
    Channel channel;

    /** VmHWM of this process (Linux), for the log. */
    static String peakRss() throws java.io.IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.isReadable(status)) {
            return "unknown";
        }
        return Files.readAllLines(status).stream()
                .filter(l -> l.startsWith("VmHWM:"))
                .map(l -> l.substring(6).trim())
                .findFirst()
                .orElse("unknown");
    }

    @Test
    void aLongPromptUploadedInChunksGetsTokens() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.LONG);
        long[] ids = TinyModels.ids(TOKENS, 7);
        List<GenerateResponse> got = new ArrayList<>();
        CompletableFuture<Void> done = new CompletableFuture<>();
        long t0 = System.nanoTime();
        StreamObserver<GenerateUploadRequest> out =
                InferenceGrpc.newStub(channel).generateUpload(GenerateTest.observer(got::add, done));
        out.onNext(GenerateUploadRequest.newBuilder()
                .setHeader(UploadHeader.newBuilder()
                        .setModel(TestModels.LONG)
                        .setSampling(SamplingParams.newBuilder()
                                .setMaxNewTokens(4)
                                .setTemperature(0)
                                .setIgnoreEos(true)))
                .build());
        for (int i = 0; i < ids.length; i += 8192) {
            TokenIds.Builder t = TokenIds.newBuilder();
            for (int j = i; j < Math.min(i + 8192, ids.length); j++) {
                t.addIds((int) ids[j]);
            }
            out.onNext(GenerateUploadRequest.newBuilder()
                    .setChunk(PromptChunk.newBuilder().setTokens(t))
                    .build());
        }
        out.onNext(GenerateUploadRequest.newBuilder()
                .setEnd(UploadEnd.getDefaultInstance())
                .build());
        out.onCompleted();
        done.get(10, TimeUnit.MINUTES);
        double seconds = (System.nanoTime() - t0) / 1e9;

        Rpc.Stream s = Rpc.collect(got.iterator());
        assertEquals(4, s.ids().size());
        assertEquals(FinishReason.FINISH_REASON_LENGTH, s.fin().getFinishReason());
        assertEquals(TOKENS, s.fin().getPromptTokens());
        int[] last = s.prefill().get(s.prefill().size() - 1);
        assertEquals(TOKENS, last[0]);
        assertTrue(s.prefill().size() > TOKENS / 1024, "progress after every prefill chunk");
        LOG.infof(
                "long prompt: %d tokens in %.1f s (prefill %.0f tok/s, time to first token %.0f ms), peak RSS of "
                        + "the test JVM %s",
                TOKENS, seconds, s.fin().getPrefillTokensPerSecond(), s.fin().getTimeToFirstTokenMs(), peakRss());
    }
}
