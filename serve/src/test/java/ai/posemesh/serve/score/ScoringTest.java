package ai.posemesh.serve.score;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;
import ai.posemesh.testkit.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ScoringTest {

    static ModelRegistry registry;
    static InferenceEngine engine;
    static LoadedModel tiny;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        registry = new ModelRegistry();
        engine = new InferenceEngine(registry, new TokenBudget(100_000), 32);
        tiny = registry.load(
                "",
                TinyModels.write(tmp.resolve("tiny"), TinyModels.llama(256).config(), 9, TinyModels.VARIED_STD)
                        .toUri()
                        .toString(),
                "");
    }

    @AfterAll
    static void stop() throws Exception {
        registry.close();
    }

    static List<ScoreChunk> score(long[] ids, ScoreOptions o) {
        List<ScoreChunk> out = new ArrayList<>();
        try (Scoring s = engine.prepareScore("", Prompt.ids(ids), o)) {
            assertNotNull(s.run(out::add, new Cancellation()));
        }
        return out;
    }

    /** The chunks' logprobs equal TokenScorer's (the `./pose score` path) and the summary its totals. */
    static void assertSame(TokenScorer.Result want, List<ScoreChunk> chunks, int chunkTokens) {
        int next = 0;
        for (int c = 0; c < chunks.size(); c++) {
            ScoreChunk chunk = chunks.get(c);
            assertEquals(next, chunk.firstTarget());
            assertTrue(chunk.size() == chunkTokens || c == chunks.size() - 1, "full chunks except the last");
            assertEquals(c == chunks.size() - 1, chunk.summary() != null, "summary on the last chunk only");
            for (int i = 0; i < chunk.size(); i++) {
                assertEquals(want.tokenLogprobs()[next + i], chunk.logprobs()[i], 1e-9, "target " + (next + i));
            }
            next += chunk.size();
        }
        assertEquals(want.count(), next);
        ScoreSummary s = chunks.get(chunks.size() - 1).summary();
        assertEquals(want.count(), s.count());
        assertEquals(want.nllSum(), s.nllSum(), 1e-9);
        assertEquals(want.ppl(), s.perplexity(), 1e-9);
    }

    @Test
    void streamedScoresEqualTokenScorer() {
        long[] ids = TinyModels.ids(200, 1);
        TokenScorer.Result one = TokenScorer.score(
                tiny.llama(), ids, TokenScorer.Options.onePass().withPrefillChunk(32));
        assertSame(one, score(ids, ScoreOptions.onePass().withChunkTokens(50)), 50);
        assertSame(one, score(ids, ScoreOptions.onePass().withChunkTokens(37)), 37);
        assertSame(one, score(ids, ScoreOptions.onePass()), 4096);
        // the CLI's own chunking (4096 tokens) differs from the server's (32) only by float rounding
        double[] cli = TokenScorer.score(tiny.llama(), ids, TokenScorer.Options.onePass())
                .tokenLogprobs();
        for (ScoreChunk c : score(ids, ScoreOptions.onePass())) {
            for (int i = 0; i < c.size(); i++) {
                assertEquals(cli[c.firstTarget() + i], c.logprobs()[i], 1e-5);
            }
        }
    }

    @Test
    void slidingWindowsEqualTokenScorer() {
        long[] ids = TinyModels.ids(300, 2);
        TokenScorer.Result want = TokenScorer.score(
                tiny.llama(), ids, TokenScorer.Options.sliding(64, 24).withPrefillChunk(32));
        assertSame(want, score(ids, ScoreOptions.sliding(64, 24).withChunkTokens(100)), 100);
    }

    @Test
    void greedyFlagsAndAlternatives() {
        long[] ids = TinyModels.ids(60, 3);
        List<ScoreChunk> chunks = score(ids, ScoreOptions.onePass().withTopLogprobs(4));
        ScoreChunk c = chunks.get(0);
        for (int i = 0; i < c.size(); i++) {
            assertEquals(4, c.topIds()[i].length);
            assertEquals(c.topIds()[i][0] == ids[i + 1], c.greedy()[i]);
            assertTrue(c.topLogprobs()[i][0] >= c.topLogprobs()[i][3]);
            assertTrue(c.logprobs()[i] <= c.topLogprobs()[i][0] + 1e-6);
        }
        assertNull(score(ids, ScoreOptions.onePass()).get(0).topIds());
    }

    @Test
    void cancelledScoringStopsAndFreesItsBudget() {
        long[] ids = TinyModels.ids(250, 4);
        Cancellation cancel = new Cancellation();
        List<ScoreChunk> got = new ArrayList<>();
        try (Scoring s =
                engine.prepareScore("", Prompt.ids(ids), ScoreOptions.onePass().withChunkTokens(10))) {
            assertEquals(250, engine.budget().inUse());
            assertNull(s.run(
                    c -> {
                        got.add(c);
                        cancel.cancel();
                    },
                    cancel));
        }
        assertEquals(0, engine.budget().inUse());
        assertEquals(3, got.size(), "the first prefill chunk's 32 targets as 3 chunks of 10, then no more");
    }
}
