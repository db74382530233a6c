package ai.posemesh.serve.generate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.generate.GreedyDecoder;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.serve.Cancellation;
import ai.posemesh.serve.Collector;
import ai.posemesh.serve.InferenceEngine;
import ai.posemesh.serve.Prompt;
import ai.posemesh.serve.admission.TokenBudget;
import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.serve.registry.ModelRegistry;
import ai.posemesh.testkit.TinyModels;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerationTest {

    static final int CHUNK = 16;
    static ModelRegistry registry;
    static InferenceEngine engine;
    static LoadedModel tiny;

    @BeforeAll
    static void start(@TempDir Path tmp) throws Exception {
        registry = new ModelRegistry();
        engine = new InferenceEngine(registry, new TokenBudget(100_000), CHUNK);
        tiny = registry.load(
                "tiny",
                TinyModels.write(tmp.resolve("tiny"), TinyModels.llama(512).config(), 3, TinyModels.VARIED_STD)
                        .toString(),
                "");
    }

    @AfterAll
    static void stop() throws Exception {
        registry.close();
    }

    static Collector generate(String model, Prompt prompt, SamplingParams params) {
        Collector c = new Collector();
        try (Generation g = engine.prepareGeneration(model, prompt, params)) {
            g.run(c, new Cancellation());
        }
        return c;
    }

    @Test
    void greedyEqualsTheGreedyDecoderAndReportsPrefillAndTimings() {
        long[] prompt = TinyModels.ids(45, 1);
        Collector c = generate("tiny", Prompt.ids(prompt), SamplingParams.greedy(24));
        long[] want = GreedyDecoder.generate(tiny.llama(), prompt, 24, Set.of((long) ByteLevelTokenizer.EOS), CHUNK);
        assertArrayEquals(want, c.idArray());
        assertEquals(want.length, c.result.generatedTokens());
        assertEquals(45, c.result.promptTokens());
        assertEquals(FinishReason.LENGTH, c.result.finishReason());
        // progress before prefill, then after each chunk of 16
        assertEquals(
                List.of("0/45", "16/45", "32/45", "45/45"),
                c.prefill.stream().map(p -> p[0] + "/" + p[1]).toList());
        assertTrue(
                c.result.timeToFirstTokenMs() > 0
                        && c.result.prefillTokensPerSecond() > 0
                        && c.result.decodeTokensPerSecond() > 0,
                c.result.toString());
        assertTrue(new java.util.HashSet<>(c.ids).size() > 3, "a varied greedy output: " + c.ids);
    }

    @Test
    void tokenLogprobsAreTheModelsUnmodifiedLogprobs() {
        long[] prompt = TinyModels.ids(20, 2);
        Collector c = generate("", Prompt.ids(prompt), SamplingParams.defaults().withSampling(1.7, 5, 0.9, 11L));
        long[] all = Arrays.copyOf(prompt, prompt.length + c.ids.size());
        for (int i = 0; i < c.ids.size(); i++) {
            all[prompt.length + i] = c.ids.get(i);
        }
        double[] want = TokenScorer.score(tiny.llama(), all, TokenScorer.Options.onePass())
                .tokenLogprobs();
        for (int i = 0; i < c.ids.size(); i++) {
            assertEquals(want[prompt.length - 1 + i], c.logprobs.get(i), 1e-5, "token " + i);
        }
    }

    @Test
    void alternativesComeWithEachTokenAndIncludeTheGreedyChoiceExactly() {
        long[] prompt = TinyModels.ids(20, 7);
        List<int[]> topIds = new java.util.ArrayList<>();
        List<double[]> topLps = new java.util.ArrayList<>();
        Collector c = new Collector();
        GenerationListener withTop = new GenerationListener() {
            @Override
            public int topLogprobs() {
                return 3;
            }

            @Override
            public void onTopLogprobs(int[] ids, double[] logprobs) {
                assertEquals(topIds.size(), c.ids.size(), "alternatives come before their token");
                topIds.add(ids);
                topLps.add(logprobs);
            }

            @Override
            public void onToken(int id, String text, double logprob) {
                c.onToken(id, text, logprob);
            }

            @Override
            public void onFinal(GenerationResult result) {
                c.onFinal(result);
            }
        };
        try (Generation g = engine.prepareGeneration("tiny", Prompt.ids(prompt), SamplingParams.greedy(12))) {
            g.run(withTop, new Cancellation());
        }
        assertEquals(c.ids.size(), topIds.size());
        for (int i = 0; i < c.ids.size(); i++) {
            assertEquals(3, topIds.get(i).length);
            assertEquals(c.ids.get(i).intValue(), topIds.get(i)[0], "greedy picks the most likely");
            assertEquals(c.logprobs.get(i), topLps.get(i)[0], 0.0, "the same number, not merely close");
            assertTrue(topLps.get(i)[0] >= topLps.get(i)[1] && topLps.get(i)[1] >= topLps.get(i)[2]);
        }
        // without asking, the plain listener sees the same tokens
        assertEquals(c.ids, generate("tiny", Prompt.ids(prompt), SamplingParams.greedy(12)).ids);
    }

    @Test
    void seededSamplingIsReproducibleAndTopK1IsGreedy() {
        Prompt p = Prompt.ids(TinyModels.ids(30, 3));
        SamplingParams s = SamplingParams.defaults().withSampling(1.0, 0, 1.0, 42L);
        s = new SamplingParams(32, s.temperature(), s.topK(), s.topP(), s.seed(), List.of(), true);
        Collector a = generate("tiny", p, s);
        Collector b = generate("tiny", p, s);
        assertEquals(a.ids, b.ids);
        assertNotEquals(a.ids, generate("tiny", p, s.withSampling(1.0, 0, 1.0, 43L)).ids);
        assertEquals(a.ids, generate("tiny", p, s.withSampling(1.0, 0, 1.0, 42L)).ids);
        // nucleus and top-k also reproduce
        SamplingParams cut = s.withSampling(0.8, 20, 0.7, 5L);
        assertEquals(generate("tiny", p, cut).ids, generate("tiny", p, cut).ids);

        SamplingParams greedy = new SamplingParams(32, 0, 0, 1, null, List.of(), true);
        List<Long> want = generate("tiny", p, greedy).ids;
        assertEquals(want, generate("tiny", p, s.withSampling(1.0, 1, 1.0, 7L)).ids);
        assertEquals(want, generate("tiny", p, s.withSampling(3.0, 1, 0.5, null)).ids);
        assertNotEquals(want, a.ids, "temperature 1 without cuts samples something else than argmax");
    }

    @Test
    void textPromptsAreTokenizedWithBos() {
        Collector text = generate("tiny", Prompt.text("Hello, long context!", true), SamplingParams.greedy(8));
        long[] ids = tiny.tokenizer().encode("Hello, long context!", true);
        assertEquals(ByteLevelTokenizer.BOS, ids[0]);
        assertEquals(generate("tiny", Prompt.ids(ids), SamplingParams.greedy(8)).ids, text.ids);
    }

    @Test
    void stopSequencesEndGenerationWithoutTheStopText() {
        Prompt p = Prompt.ids(TinyModels.ids(25, 4));
        SamplingParams base = SamplingParams.greedy(40).withIgnoreEos(true);
        Collector full = generate("tiny", p, base);
        String text = full.text.toString();
        assertEquals(FinishReason.LENGTH, full.result.finishReason());
        assertEquals(text, tiny.tokenizer().decode(full.idArray(), true), "streamed texts add up to the decoded text");
        String stop = text.substring(12, 15);
        Collector stopped = generate("tiny", p, base.withStop(List.of("never appears", stop)));
        assertEquals(FinishReason.STOP, stopped.result.finishReason());
        assertEquals(stop, stopped.result.stopSequence());
        assertEquals(text.substring(0, text.indexOf(stop)), stopped.text.toString());
        assertTrue(stopped.ids.size() < full.ids.size());
        assertEquals(full.ids.subList(0, stopped.ids.size()), stopped.ids, "same tokens up to the stop");
    }

    @Test
    void eosEndsGenerationUnlessIgnored(@TempDir Path tmp) throws Exception {
        long[] prompt = TinyModels.ids(25, 5);
        List<Long> free =
                generate("tiny", Prompt.ids(prompt), SamplingParams.greedy(20).withIgnoreEos(true)).ids;
        // the same weights (same seed), with the 4th greedy token declared EOS
        int eos = free.get(3).intValue();
        registry.load(
                "eos",
                TinyModels.write(
                                tmp.resolve("eos"),
                                TinyModels.llama(512).eos(eos).config(),
                                3,
                                TinyModels.VARIED_STD)
                        .toString(),
                "");
        try {
            Collector c = generate("eos", Prompt.ids(prompt), SamplingParams.greedy(20));
            assertEquals(FinishReason.EOS, c.result.finishReason());
            assertEquals(free.subList(0, free.indexOf((long) eos) + 1), c.ids, "ends with (and includes) EOS");
            assertEquals(
                    free,
                    generate(
                                    "eos",
                                    Prompt.ids(prompt),
                                    SamplingParams.greedy(20).withIgnoreEos(true))
                            .ids);
        } finally {
            registry.unload("eos");
        }
    }

    @Test
    void cancellingStopsBetweenStepsAndFreesTheBudget() {
        Cancellation cancel = new Cancellation();
        Collector c = new Collector(() -> {
            cancel.cancel();
        });
        try (Generation g =
                engine.prepareGeneration("tiny", Prompt.ids(TinyModels.ids(10, 6)), SamplingParams.greedy(50))) {
            assertEquals(60, engine.budget().inUse());
            g.run(c, cancel);
        }
        assertEquals(0, engine.budget().inUse());
        assertEquals(FinishReason.CANCELLED, c.result.finishReason());
        assertEquals(1, c.ids.size());
        // cancelled before prefill: no token at all
        Collector none = new Collector();
        Cancellation early = new Cancellation();
        early.cancel();
        try (Generation g =
                engine.prepareGeneration("tiny", Prompt.ids(TinyModels.ids(40, 6)), SamplingParams.greedy(5))) {
            g.run(none, early);
        }
        assertEquals(FinishReason.CANCELLED, none.result.finishReason());
        assertTrue(none.ids.isEmpty());
        assertFalse(none.prefill.size() > 1);
    }
}
