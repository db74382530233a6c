package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ScoreRequest;
import ai.posemesh.proto.inference.v1.ScoreResponse;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Score over a real socket equals TokenScorer with the CLI's options (what `./pose score` prints). */
@QuarkusTest
class ScoreTest {

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    static NDManager manager;
    static Llama reference;

    @BeforeAll
    static void reference() throws Exception {
        manager = Engines.newManager();
        reference = HfCheckpoint.load(TestModels.dir(TestModels.TINY), manager);
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.TINY);
    }

    static List<ScoreResponse> score(InferenceGrpc.InferenceBlockingStub stub, ScoreRequest r) {
        List<ScoreResponse> out = new ArrayList<>();
        stub.score(r).forEachRemaining(out::add);
        return out;
    }

    /** Logprobs within 1e-5 of the CLI's, in order and chunked as asked; the summary on the last message only. */
    static void assertScores(TokenScorer.Result want, List<ScoreResponse> got, int chunk) {
        int next = 0;
        for (int m = 0; m < got.size(); m++) {
            ScoreResponse r = got.get(m);
            assertEquals(next, r.getFirstTarget());
            assertEquals(m == got.size() - 1, r.hasSummary());
            assertTrue(r.getLogprobsCount() == chunk || m == got.size() - 1);
            for (int i = 0; i < r.getLogprobsCount(); i++) {
                assertEquals(want.tokenLogprobs()[next + i], r.getLogprobs(i), 1e-5, "target " + (next + i));
            }
            next += r.getLogprobsCount();
        }
        assertEquals(want.count(), next);
        var s = got.get(got.size() - 1).getSummary();
        assertEquals(want.count(), s.getCount());
        assertEquals(want.nllSum(), s.getNllSum(), 1e-5 * want.count());
        assertEquals(want.ppl(), s.getPerplexity(), 1e-3);
    }

    @Test
    void onePassEqualsPoseScore() {
        long[] ids = TinyModels.ids(1500, 2);
        TokenScorer.Result want = TokenScorer.score(reference, ids, TokenScorer.Options.onePass());
        assertScores(
                want,
                score(
                        inference,
                        ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(ids))
                                .setChunkTokens(400)
                                .build()),
                400);
        assertScores(
                want,
                score(
                        inference,
                        ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(ids))
                                .build()),
                4096);
    }

    @Test
    void slidingWindowsEqualPoseScoreWithWindows() {
        long[] ids = TinyModels.ids(900, 3);
        TokenScorer.Result want = TokenScorer.score(reference, ids, TokenScorer.Options.sliding(256, 100));
        assertScores(
                want,
                score(
                        inference,
                        ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(ids))
                                .setWindow(256)
                                .setStride(100)
                                .setChunkTokens(300)
                                .build()),
                300);
        // stride defaults to window / 2, as in the CLI
        assertScores(
                TokenScorer.score(reference, ids, TokenScorer.Options.sliding(256, 128)),
                score(
                        inference,
                        ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(ids))
                                .setWindow(256)
                                .build()),
                4096);
    }

    @Test
    void greedyFlagsAndTopLogprobs() {
        long[] ids = TinyModels.ids(50, 4);
        ScoreResponse r = score(
                        inference,
                        ScoreRequest.newBuilder()
                                .setModel(TestModels.TINY)
                                .setInput(Rpc.ids(ids))
                                .setTopLogprobs(3)
                                .build())
                .get(0);
        assertEquals(49, r.getTopCount());
        for (int i = 0; i < 49; i++) {
            assertEquals(3, r.getTop(i).getIdsCount());
            assertEquals(r.getTop(i).getIds(0) == ids[i + 1], r.getGreedy(i));
            assertTrue(r.getLogprobs(i) <= r.getTop(i).getLogprobs(0) + 1e-6);
        }
    }
}
