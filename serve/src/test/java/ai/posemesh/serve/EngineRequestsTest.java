package ai.posemesh.serve;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.serve.InferenceException.Kind;
import ai.posemesh.serve.InferenceException.Reason;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.generate.Generation;
import ai.posemesh.serve.generate.SamplingParams;
import ai.posemesh.serve.registry.ModelRegistry;
import ai.posemesh.serve.score.ScoreOptions;
import ai.posemesh.serve.score.Scoring;
import ai.posemesh.testkit.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/** Request checks (typed reasons, metadata, actionable messages), admission by token budget, chunked uploads. */
class EngineRequestsTest {

    static ModelRegistry registry;
    static InferenceEngine engine;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        registry = new ModelRegistry();
        engine = new InferenceEngine(registry, new TokenBudget(300), 64);
        registry.load(
                "tiny",
                TinyModels.write(tmp.resolve("tiny"), TinyModels.llama(256).config(), 5, TinyModels.VARIED_STD)
                        .toString(),
                "");
        Path bare = Files.createDirectories(tmp.resolve("bare"));
        for (String f : List.of("config.json", "model.safetensors")) {
            Files.copy(tmp.resolve("tiny").resolve(f), bare.resolve(f));
        }
        registry.load("ids-only", bare.toString(), "");
    }

    @AfterAll
    static void stop() throws Exception {
        registry.close();
    }

    static InferenceException refused(Reason reason, Executable e) {
        InferenceException x = assertThrows(InferenceException.class, e);
        assertEquals(reason, x.reason(), x.getMessage());
        assertEquals(0, engine.budget().inUse(), "a refused request holds nothing");
        return x;
    }

    static void generate(Prompt p, SamplingParams s) {
        engine.prepareGeneration("tiny", p, s).close();
    }

    static SamplingParams sampling(int maxNew, double t, int k, double p) {
        return new SamplingParams(maxNew, t, k, p, null, List.of(), false);
    }

    @Test
    void badSamplingValuesNameTheField() {
        Prompt p = Prompt.ids(new long[] {256, 1});
        Map<String, SamplingParams> bad = Map.of(
                "sampling.temperature", sampling(4, -0.1, 0, 1),
                "sampling.max_new_tokens", sampling(0, 1, 0, 1));
        bad.forEach((field, s) -> assertEquals(
                field, refused(Reason.INVALID_SAMPLING, () -> generate(p, s)).field()));
        assertEquals(
                "sampling.temperature",
                refused(Reason.INVALID_SAMPLING, () -> generate(p, sampling(4, 100.5, 0, 1)))
                        .field());
        assertEquals(
                "sampling.top_p",
                refused(Reason.INVALID_SAMPLING, () -> generate(p, sampling(4, 1, 0, 0)))
                        .field());
        assertEquals(
                "sampling.top_p",
                refused(Reason.INVALID_SAMPLING, () -> generate(p, sampling(4, 1, 0, 1.5)))
                        .field());
        assertEquals(
                "sampling.top_k",
                refused(Reason.INVALID_SAMPLING, () -> generate(p, sampling(4, 1, -1, 1)))
                        .field());
        InferenceException e = refused(Reason.INVALID_SAMPLING, () -> generate(p, sampling(4, Double.NaN, 0, 1)));
        assertEquals(Kind.INVALID_ARGUMENT, e.kind());
        assertTrue(e.getMessage().startsWith("sampling.temperature: must be in [0, 100]"), e.getMessage());
        refused(
                Reason.INVALID_SAMPLING,
                () -> generate(p, SamplingParams.greedy(3).withStop(List.of(""))));
    }

    @Test
    void emptyPromptsAndOutOfVocabularyIdsAreRefused() {
        assertEquals(
                "prompt",
                refused(Reason.EMPTY_PROMPT, () -> generate(Prompt.ids(new long[0]), SamplingParams.greedy(2)))
                        .field());
        refused(Reason.EMPTY_PROMPT, () -> generate(Prompt.text("", true), SamplingParams.greedy(2)));
        refused(Reason.EMPTY_PROMPT, () -> generate(Prompt.none(), SamplingParams.greedy(2)));
        InferenceException e = refused(
                Reason.TOKEN_OUT_OF_VOCABULARY,
                () -> generate(Prompt.ids(new long[] {256, 3, 259}), SamplingParams.greedy(2)));
        assertEquals(
                Map.of("field", "prompt.tokens.ids", "index", "2", "token_id", "259", "vocab_size", "259"),
                e.metadata());
        assertTrue(
                e.getMessage().contains("prompt.tokens.ids[2]: token id 259 is outside the vocabulary [0, 259)"),
                e.getMessage());
        assertEquals(
                "input.tokens.ids",
                refused(
                                Reason.TOKEN_OUT_OF_VOCABULARY,
                                () -> engine.prepareScore("", Prompt.ids(new long[] {-1, 3}), ScoreOptions.onePass()))
                        .field());
        assertEquals(
                "prompt.text",
                refused(
                                Reason.INVALID_REQUEST,
                                () -> engine.prepareGeneration(
                                        "ids-only", Prompt.text("hi", true), SamplingParams.greedy(2)))
                        .field());
    }

    @Test
    void overLengthIsOutOfRangeWithTheThreeNumbers() {
        long[] ids = TinyModels.ids(250, 1);
        InferenceException e =
                refused(Reason.CONTEXT_LENGTH_EXCEEDED, () -> generate(Prompt.ids(ids), SamplingParams.greedy(10)));
        assertEquals(Kind.OUT_OF_RANGE, e.kind());
        assertEquals("250", e.metadata().get("prompt_tokens"));
        assertEquals("10", e.metadata().get("max_new_tokens"));
        assertEquals("256", e.metadata().get("max_context"));
        assertEquals(
                "prompt has 250 tokens + max_new_tokens 10 = 260 > max_context 256 of model 'tiny'; shorten the "
                        + "prompt or lower max_new_tokens",
                e.getMessage());
        generate(Prompt.ids(ids), SamplingParams.greedy(6)); // exactly the context: fine
        e = refused(
                Reason.CONTEXT_LENGTH_EXCEEDED,
                () -> engine.prepareScore("", Prompt.ids(TinyModels.ids(257, 1)), ScoreOptions.onePass()));
        assertEquals("257", e.metadata().get("prompt_tokens"));
    }

    @Test
    void windowsAndScoreOptionsAreChecked() {
        Prompt in = Prompt.ids(TinyModels.ids(100, 2));
        assertEquals(
                "window",
                refused(Reason.INVALID_WINDOW, () -> engine.prepareScore("", in, ScoreOptions.sliding(1, 1)))
                        .field());
        assertEquals(
                "stride",
                refused(Reason.INVALID_WINDOW, () -> engine.prepareScore("", in, ScoreOptions.sliding(16, 16)))
                        .field());
        assertEquals(
                "stride",
                refused(Reason.INVALID_WINDOW, () -> engine.prepareScore("", in, ScoreOptions.sliding(16, 0)))
                        .field());
        assertEquals(
                "window",
                refused(Reason.INVALID_WINDOW, () -> engine.prepareScore("", in, ScoreOptions.sliding(300, 10)))
                        .field());
        assertEquals(
                "top_logprobs",
                refused(
                                Reason.INVALID_REQUEST,
                                () -> engine.prepareScore(
                                        "", in, ScoreOptions.onePass().withTopLogprobs(21)))
                        .field());
        assertEquals(
                "chunk_tokens",
                refused(
                                Reason.INVALID_REQUEST,
                                () -> engine.prepareScore(
                                        "", in, ScoreOptions.onePass().withChunkTokens(0)))
                        .field());
        assertEquals(
                "chunk_tokens",
                refused(
                                Reason.INVALID_REQUEST,
                                () -> engine.prepareScore(
                                        "",
                                        in,
                                        ScoreOptions.onePass()
                                                .withChunkTokens(8192)
                                                .withTopLogprobs(20)))
                        .field());
        refused(
                Reason.INVALID_REQUEST,
                () -> engine.prepareScore("", Prompt.ids(new long[] {256}), ScoreOptions.onePass()));
        refused(Reason.MODEL_NOT_FOUND, () -> engine.prepareScore("nope", in, ScoreOptions.onePass()));
    }

    @Test
    void theBudgetAdmitsUntilFullAndEveryEndReleases() {
        Generation a = engine.prepareGeneration("tiny", Prompt.ids(TinyModels.ids(100, 3)), SamplingParams.greedy(100));
        assertEquals(200, engine.budget().inUse());
        InferenceException e = assertThrows(
                InferenceException.class,
                () -> engine.prepareGeneration("tiny", Prompt.ids(TinyModels.ids(50, 3)), SamplingParams.greedy(60)));
        assertEquals(Reason.TOKEN_BUDGET_EXHAUSTED, e.reason());
        assertEquals(Kind.RESOURCE_EXHAUSTED, e.kind());
        assertEquals(Map.of("requested_tokens", "110", "budget_tokens", "300", "in_use_tokens", "200"), e.metadata());
        assertTrue(e.getMessage().contains("prompt 50 + max_new_tokens 60"), e.getMessage());
        Scoring s = engine.prepareScore("", Prompt.ids(TinyModels.ids(100, 4)), ScoreOptions.onePass());
        assertEquals(300, engine.budget().inUse());
        s.close();
        a.close();
        a.close(); // twice is harmless
        assertEquals(0, engine.budget().inUse());
        // a sliding-window score holds one window, not the whole input
        try (Scoring w = engine.prepareScore("", Prompt.ids(TinyModels.ids(1000, 4)), ScoreOptions.sliding(128, 64))) {
            assertEquals(128, engine.budget().inUse());
        }
        e = refused(Reason.TOKEN_BUDGET_EXHAUSTED, () -> new TokenBudget(10).reserve(11, "x"));
        assertTrue(e.getMessage().contains("whole token budget of 10"), e.getMessage());
    }

    @Test
    void uploadedChunksEqualTheWholePrompt() {
        String text = "Positional skip-wise training extends the context window. ".repeat(3);
        SamplingParams s = SamplingParams.greedy(5);
        List<Long> whole = run(engine.prepareGeneration("tiny", Prompt.text(text, true), s));
        PromptUpload up = engine.startUpload("tiny", s, true);
        for (int i = 0; i < text.length(); i += 7) { // splits words
            up.appendText(text.substring(i, Math.min(i + 7, text.length())));
        }
        assertEquals(whole, run(up.finish()));
        long[] ids = registry.get("tiny").tokenizer().encode(text, true);
        PromptUpload byIds = engine.startUpload("", s, false);
        for (int i = 0; i < ids.length; i += 10) {
            byIds.appendIds(Arrays.copyOfRange(ids, i, Math.min(i + 10, ids.length)));
        }
        assertEquals(whole, run(byIds.finish()));

        PromptUpload mixed = engine.startUpload("tiny", s, true);
        mixed.appendText("a");
        assertEquals(
                "chunk",
                refused(Reason.INVALID_REQUEST, () -> mixed.appendIds(new long[] {1}))
                        .field());
        PromptUpload tooLong = engine.startUpload("tiny", s, true);
        tooLong.appendIds(new long[200]);
        InferenceException e = refused(Reason.CONTEXT_LENGTH_EXCEEDED, () -> tooLong.appendIds(new long[60]));
        assertEquals("260", e.metadata().get("prompt_tokens"));
        assertEquals(
                List.of("prompt_tokens", "max_new_tokens", "max_context", "model", PromptUpload.LOWER_BOUND),
                List.copyOf(e.metadata().keySet()));
        assertEquals("true", e.metadata().get(PromptUpload.LOWER_BOUND));
        refused(Reason.EMPTY_PROMPT, () -> engine.startUpload("tiny", s, true).finish());
        refused(Reason.MODEL_NOT_FOUND, () -> engine.startUpload("nope", s, true));
        refused(Reason.INVALID_SAMPLING, () -> engine.startUpload("tiny", SamplingParams.greedy(0), true));
    }

    @Test
    void uploadedTextBeyondTheContextIsContextLengthExceeded() {
        // max_context 256 holds at most 256 × 64 = 16384 characters; the refusal comes before the upload ends
        PromptUpload up = engine.startUpload("tiny", SamplingParams.greedy(5), true);
        up.appendText("x".repeat(16_000));
        up.appendText("y".repeat(384)); // exactly at the bound: still held
        InferenceException e = refused(Reason.CONTEXT_LENGTH_EXCEEDED, () -> up.appendText("z".repeat(116)));
        assertEquals(Kind.OUT_OF_RANGE, e.kind());
        assertEquals(null, e.field(), "no request field is at fault: the prompt is too long");
        assertEquals(
                List.of(
                        "prompt_tokens",
                        "max_new_tokens",
                        "max_context",
                        "model",
                        PromptUpload.LOWER_BOUND,
                        "prompt_chars"),
                List.copyOf(e.metadata().keySet()));
        assertEquals("258", e.metadata().get("prompt_tokens"), "ceil(16500 / 64), a lower bound");
        assertEquals("5", e.metadata().get("max_new_tokens"));
        assertEquals("256", e.metadata().get("max_context"));
        assertEquals("tiny", e.metadata().get("model"));
        assertEquals("true", e.metadata().get(PromptUpload.LOWER_BOUND));
        assertEquals("16500", e.metadata().get("prompt_chars"));
        assertTrue(
                e.getMessage().contains("at least 258 tokens") && e.getMessage().contains("max_context 256"),
                e.getMessage());
    }

    @Test
    void errorMetadataKeepsItsOrder() {
        // Map.of iterates in an order that changes between JVM runs; ErrorInfo metadata must read the same each time
        InferenceException e = refused(
                Reason.CONTEXT_LENGTH_EXCEEDED, () -> generate(Prompt.ids(new long[250]), SamplingParams.greedy(10)));
        assertEquals(
                List.of("prompt_tokens", "max_new_tokens", "max_context", "model"),
                List.copyOf(e.metadata().keySet()));
        assertEquals(
                List.of("250", "10", "256", "tiny"), List.copyOf(e.metadata().values()));
        e = refused(
                Reason.TOKEN_OUT_OF_VOCABULARY,
                () -> generate(Prompt.ids(new long[] {1, 999}), SamplingParams.greedy(1)));
        assertEquals(
                List.of(InferenceException.FIELD, "index", "token_id", "vocab_size"),
                List.copyOf(e.metadata().keySet()));
        e = refused(Reason.TOKEN_BUDGET_EXHAUSTED, () -> new TokenBudget(10).reserve(11, "x"));
        assertEquals(
                List.of("requested_tokens", "budget_tokens", "in_use_tokens"),
                List.copyOf(e.metadata().keySet()));
        e = refused(Reason.MODEL_NOT_FOUND, () -> engine.startUpload("nope", SamplingParams.greedy(1), true));
        assertEquals(List.of("model", "loaded"), List.copyOf(e.metadata().keySet()));
        e = refused(
                Reason.INVALID_WINDOW,
                () -> engine.prepareScore("tiny", Prompt.ids(TinyModels.ids(300, 4)), ScoreOptions.sliding(512, 64)));
        assertEquals(
                List.of(InferenceException.FIELD, "max_context"),
                List.copyOf(e.metadata().keySet()));

        Map<String, Object> m = InferenceException.meta("z", 1, "a", 2, "m", null);
        assertEquals(List.of("z", "a", "m"), List.copyOf(m.keySet()));
        assertEquals(
                "null",
                new InferenceException(Reason.INVALID_REQUEST, "x", m)
                        .metadata()
                        .get("m"));
        assertThrows(IllegalArgumentException.class, () -> InferenceException.meta("a", 1, "b"));
        assertThrows(IllegalArgumentException.class, () -> InferenceException.meta("a", 1, "a", 2));
    }

    @Test
    void countAndTokenize() {
        assertEquals(new InferenceEngine.Count(6, 256), engine.countTokens("", Prompt.text("hello", true)));
        InferenceEngine.Tokenized t = engine.tokenize("tiny", "hi there", false);
        assertEquals(8, t.ids().length);
        assertEquals("Ġ", t.tokens()[2], "byte-level tokens print as the tokenizer writes them");
        assertEquals(
                "text",
                refused(Reason.INVALID_REQUEST, () -> engine.tokenize("ids-only", "hi", true))
                        .field());
    }

    static List<Long> run(Generation g) {
        Collector c = new Collector();
        try (g) {
            g.run(c, new Cancellation());
        }
        return c.ids;
    }
}
