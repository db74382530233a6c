package ai.posemesh.evaluation.passkey;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.evaluation.EvalBackend;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.EvalModel;
import ai.posemesh.evaluation.InProcessBackend;
import ai.posemesh.evaluation.Progress;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.testkit.TinyModels;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasskeyEvalTest {

    static final Path TINY_BASE = Path.of("").toAbsolutePath().getParent().resolve("models/tiny-base");

    @TempDir
    Path tmp;

    @Test
    void promptIsTheReferenceText() {
        String p = PasskeyPrompt.build(4321, 2, 1);
        String[] lines = p.split("\n", -1);
        assertEquals(5, lines.length);
        assertEquals(
                "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. "
                        + "I will quiz you about the important information there.",
                lines[0]);
        assertEquals(PasskeyPrompt.FILLER + PasskeyPrompt.FILLER, lines[1]);
        assertEquals("The pass key is 4321. Remember it. 4321 is the pass key.", lines[2]);
        assertEquals(PasskeyPrompt.FILLER, lines[3]);
        assertEquals("What is the pass key? The pass key is", lines[4]);
        assertEquals("", PasskeyPrompt.build(1, 0, 0).split("\n", -1)[1], "x = 0 leaves an empty line");
    }

    /** Seed 0 at 128 tokens with n = 1 (the tiny base): the keys and depths of its first trials, and the prompt. */
    @Test
    void aSeedGivesTheseKeysDepthsAndPrompt() {
        List<PasskeyEval.Draw> d = PasskeyEval.draws(0, 128, 1, 5);
        assertEquals(
                List.of(
                        new PasskeyEval.Draw(15290, 0),
                        new PasskeyEval.Draw(29503, 0),
                        new PasskeyEval.Draw(38268, 0),
                        new PasskeyEval.Draw(19659, 1),
                        new PasskeyEval.Draw(28921, 1)),
                d);
        assertEquals(
                "There is an important info hidden inside a lot of irrelevant text. Find it and memorize them. I will "
                        + "quiz you about the important information there.\n"
                        + "\n"
                        + "The pass key is 15290. Remember it. 15290 is the pass key.\n"
                        + "The grass is green. The sky is blue. The sun is yellow. Here we go. There and back again.\n"
                        + "What is the pass key? The pass key is",
                PasskeyPrompt.build(
                        d.get(0).key(), d.get(0).depth(), 1 - d.get(0).depth()));
        // the seed is mixed with the length asked for: another length, other keys
        assertTrue(!PasskeyEval.draws(0, 256, 1, 5).equals(d));
        assertEquals(d, PasskeyEval.draws(0, 128, 1, 5), "deterministic");
    }

    /** Doubling + bisection finds what the one-unit-at-a-time scan found, for BPE and byte-level tokenizers. */
    @Test
    void fillerUnitsEqualsTheLinearScan() throws Exception {
        Path bytes = Files.createDirectories(tmp.resolve("bytes"));
        ByteLevelTokenizer.write(bytes, 4096);
        for (Path dir : List.of(TINY_BASE, bytes)) {
            try (TextTokenizer tok = TextTokenizer.load(dir)) {
                int[] encodes = {0};
                PasskeyEval eval = new PasskeyEval(new TokenizerOnly(tok, encodes));
                for (int budget = 0; budget <= 1200; budget += 7) {
                    int n = -1;
                    while (tok.encode(PasskeyPrompt.build(50000, n + 1, 0), true).length <= budget) {
                        n++;
                    }
                    assertEquals(n, eval.fillerUnits(budget), dir + " budget " + budget);
                }
                int before = encodes[0];
                PasskeyEval fresh = new PasskeyEval(new TokenizerOnly(tok, encodes));
                int n = fresh.fillerUnits(100_000);
                assertTrue(n > 1000, "n = " + n);
                assertTrue(encodes[0] - before <= 2 * 32 + 2, "tokenizations: " + (encodes[0] - before));
            }
        }
    }

    /**
     * The committed tiny base, seed 0, 128 tokens: the same keys, depths and answers as the run committed in
     * models/tiny-base/training/passkey-trials.jsonl (made before the library had backends), trial for trial.
     */
    @Test
    void tinyBaseRepeatsTheCommittedTrials() throws Exception {
        List<String> committed = Files.readAllLines(TINY_BASE.resolve("training/passkey-trials.jsonl"));
        try (InProcessBackend b = InProcessBackend.load(TINY_BASE)) {
            PasskeyEval eval = new PasskeyEval(b);
            List<Trial> trials = new ArrayList<>();
            long[] progress = new long[2];
            PasskeyEval.LengthResult r = eval.run(128, 20, 0, trials::add, (l, done, total) -> {
                progress[0] = done;
                progress[1] = total;
            });
            assertArrayEquals(new long[] {20, 20}, progress);
            assertEquals(20, trials.size());
            int passed = 0;
            for (int t = 0; t < 20; t++) {
                JsonNode want = ConfigJson.MAPPER.readTree(committed.get(t));
                Trial got = trials.get(t);
                assertEquals(128, want.get("length").asInt());
                assertEquals(want.get("key").asInt(), got.expected(), "trial " + t);
                assertEquals(want.get("depth_units").asInt(), got.depth(), "trial " + t);
                assertEquals(want.get("filler_units").asInt(), got.fillerUnits(), "trial " + t);
                assertEquals(want.get("answer").asText(), got.answer(), "trial " + t);
                assertEquals(want.get("passed").asBoolean(), got.passed(), "trial " + t);
                assertEquals(t, got.trial());
                assertEquals("tiny-base", got.model().name());
                assertTrue(got.promptTokens() <= 128 && got.promptTokens() > 100, "prompt " + got.promptTokens());
                passed += got.passed() ? 1 : 0;
            }
            assertEquals(passed, r.passed());
            assertEquals(128, r.promptBudget());

            JsonNode line = trials.get(0).toJson();
            assertEquals(
                    List.of(
                            "model",
                            "manifest_sha256",
                            "rope",
                            "length",
                            "prompt_budget",
                            "filler_units",
                            "prompt_tokens",
                            "depth",
                            "trial",
                            "expected",
                            "got",
                            "answer",
                            "passed",
                            "key",
                            "depth_units"),
                    fields(line));
            assertEquals(15290, line.get("got").asInt());
            assertEquals("default", line.get("rope").get("type").asText());
            assertEquals(1.0, line.get("rope").get("factor").asDouble());
            assertEquals("", line.get("manifest_sha256").asText(), "the tiny base has no manifest.json");
        }
    }

    /** At the target window (max_position_embeddings 256) the prompt is sized to 256 − 100 tokens. */
    @Test
    void theTargetLengthKeepsOneHundredTokensFree() throws Exception {
        try (InProcessBackend b = InProcessBackend.load(TINY_BASE)) {
            PasskeyEval eval = new PasskeyEval(b);
            assertEquals(156, eval.promptBudget(256));
            assertEquals(255, eval.promptBudget(255));
            assertEquals(512, eval.promptBudget(512));
            List<Trial> trials = new ArrayList<>();
            PasskeyEval.LengthResult r = eval.run(256, 2, 0, trials::add, Progress.NONE);
            assertEquals(156, r.promptBudget());
            assertEquals(eval.fillerUnits(156), r.fillerUnits());
            for (Trial t : trials) {
                assertEquals(256, t.length());
                assertTrue(t.promptTokens() <= 156, "prompt " + t.promptTokens());
            }
            assertArrayEquals(new int[] {128, 256, 512}, eval.defaultSpec().lengths());
        }
    }

    @Test
    void badSettingsAreNamedBeforeAnyTrial() throws Exception {
        try (TextTokenizer tok = TextTokenizer.load(TINY_BASE)) {
            PasskeyEval eval = new PasskeyEval(new TokenizerOnly(tok, new int[1]));
            EvalException shortL =
                    assertThrows(EvalException.class, () -> eval.check(new PasskeySpec(new int[] {128, 20}, 5, 0)));
            assertEquals("lengths", shortL.field());
            assertTrue(shortL.getMessage().startsWith("20 tokens cannot hold the passkey prompt"), shortL.getMessage());
            assertEquals(
                    "trials",
                    assertThrows(EvalException.class, () -> eval.check(new PasskeySpec(new int[] {128}, 0, 0)))
                            .field());
            assertEquals(
                    "lengths",
                    assertThrows(EvalException.class, () -> eval.check(new PasskeySpec(new int[0], 5, 0)))
                            .field());
            // a backend that takes at most 300 tokens (a service with max_context 300): 295 + 10 does not fit
            PasskeyEval limited = new PasskeyEval(new TokenizerOnly(tok, new int[1], 300));
            limited.check(new PasskeySpec(new int[] {290}, 1, 0));
            EvalException past =
                    assertThrows(EvalException.class, () -> limited.check(new PasskeySpec(new int[] {295}, 1, 0)));
            assertTrue(past.getMessage().contains("+ 10 generated > 300"), past.getMessage());
        }
    }

    @Test
    void aRandomModelRunsButDoesNotKnowTheKey() throws Exception {
        Path dir = tmp.resolve("m");
        LlamaConfig c = TinyModels.llama(2048).layers(1).heads(2, 2).tied().config();
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(c, 1, m.newSubManager())) {
            TinyModels.save(model, dir);
            try (TextTokenizer tok = TextTokenizer.load(dir)) {
                PasskeyEval eval = new PasskeyEval(model, tok);
                // byte-level: the prompt without filler is ~250 bytes, each filler unit 89 bytes
                int n = eval.fillerUnits(1024);
                assertTrue(tok.encode(PasskeyPrompt.build(50000, n, 0), true).length <= 1024);
                assertTrue(tok.encode(PasskeyPrompt.build(50000, n + 1, 0), true).length > 1024);
                assertEquals(-1, eval.fillerUnits(100));
                assertThrows(EvalException.class, () -> eval.run(100, 1, 0, null, (l, d, t) -> {}));
                List<Trial> log = new ArrayList<>();
                PasskeySpec spec = new PasskeySpec(new int[] {1024}, 3, 7);
                PasskeyReport report = eval.run(spec, log::add, (l, d, t) -> {});
                PasskeyEval.LengthResult r = report.results().get(0);
                assertEquals(3, r.trials());
                assertEquals(3, log.size());
                assertTrue(r.meanPromptTokens() <= 1024 && r.meanPromptTokens() > 1024 - 100);
                for (Trial t : log) {
                    assertTrue(t.depth() >= 0 && t.depth() <= n);
                    assertTrue(t.expected() >= 1 && t.expected() <= 50000);
                }
                // a random model does not know the key
                assertEquals(0, r.passed());
                JsonNode j = report.toJson();
                assertEquals("passkey", j.get("suite").asText());
                assertEquals(
                        List.of("length", "trials", "passed", "accuracy"),
                        fields(j.get("results").get(0)));
                assertEquals(1024, j.get("results").get(0).get("length").asInt());
                assertEquals(0.0, j.get("results").get(0).get("accuracy").asDouble());
            }
        }
    }

    @Test
    void aTrialWithoutDigitsRecordsGotNull() {
        EvalModel m = new EvalModel("m", "abc", "yarn", 8.0, 2048, 256, 1);
        Trial t = new Trial(m, 1024, 1024, 3, 1000, 1, 0, 123, null, " no number", false);
        JsonNode j = t.toJson();
        assertTrue(j.get("got").isNull());
        assertEquals("abc", j.get("manifest_sha256").asText());
        assertEquals("yarn", j.get("rope").get("type").asText());
        assertEquals(8.0, j.get("rope").get("factor").asDouble());
        assertNull(t.got());
    }

    static List<String> fields(JsonNode n) {
        List<String> f = new ArrayList<>();
        n.fieldNames().forEachRemaining(f::add);
        return f;
    }

    /** A backend with only a real tokenizer (for prompt sizing), counting its encode calls. */
    record TokenizerOnly(TextTokenizer tok, int[] encodes, int limit) implements EvalBackend {
        TokenizerOnly(TextTokenizer tok, int[] encodes) {
            this(tok, encodes, Integer.MAX_VALUE);
        }

        @Override
        public EvalModel model() {
            return new EvalModel("tokenizer", "", "default", 1.0, 256, 256, 0);
        }

        @Override
        public long[] encode(String text, boolean addSpecialTokens) {
            encodes[0]++;
            return tok.encode(text, addSpecialTokens);
        }

        @Override
        public int sequenceLimit() {
            return limit;
        }

        @Override
        public double[] score(long[] ids) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Generated greedy(long[] prompt, int maxNewTokens) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void close() {}
    }
}
