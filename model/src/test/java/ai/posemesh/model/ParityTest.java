package ai.posemesh.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Attention;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.score.TokenScorer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Conformance with HF transformers: each fixture under {@code parity/} is a tiny random LlamaForCausalLM written by
 * {@code tools/make_parity_fixtures.py} with the token logprobs HF computed for it. posemesh must agree within 1e-4.
 */
class ParityTest {

    static final double TOLERANCE = 1e-4;
    static final Path FIXTURES = Fixtures.path("parity");
    static NDManager manager;
    static final List<String> report = new ArrayList<>();

    @BeforeAll
    static void start() {
        manager = Engines.newManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
        report.forEach(System.out::println);
    }

    static Stream<String> cases() throws IOException {
        try (Stream<Path> dirs = Files.list(FIXTURES)) {
            List<String> names = dirs.filter(Files::isDirectory)
                    .map(p -> p.getFileName().toString())
                    .sorted()
                    .toList();
            assertTrue(names.size() >= 11, "parity fixtures missing: " + names);
            return names.stream();
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void logprobsMatchTransformers(String name) {
        Path dir = FIXTURES.resolve(name);
        JsonNode expected = ConfigJson.read(dir.resolve("expected.json"));
        try (Llama model = HfCheckpoint.load(dir, manager)) {
            assertTrue(model.unusedTensors().isEmpty(), "unused tensors " + model.unusedTensors());
            double worst = 0;
            for (JsonNode seq : expected.get("sequences")) {
                long[] ids = longs(seq.get("input_ids"));
                long[] pos = seq.hasNonNull("position_ids") ? longs(seq.get("position_ids")) : null;
                double[] want = doubles(seq.get("token_logprobs"));
                for (Attention attention : new Attention[] {Attention.fused(), Attention.plain()}) {
                    model.useAttention(attention);
                    double[] got = TokenScorer.score(model, ids, pos, TokenScorer.Options.onePass())
                            .tokenLogprobs();
                    assertEquals(want.length, got.length);
                    for (int i = 0; i < want.length; i++) {
                        double d = Math.abs(want[i] - got[i]);
                        worst = Math.max(worst, d);
                        assertTrue(d <= TOLERANCE, name + " token " + i + ": HF " + want[i] + " posemesh " + got[i]);
                    }
                }
            }
            report.add(String.format("parity %-34s worst |Δ logprob| = %.3g", name, worst));
        }
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(strings = {"mha-tied-default", "posemesh-written-bf16-yarn"})
    void byteLevelTokenizerMatchesHfTokenizers(String name) {
        Path dir = FIXTURES.resolve(name);
        JsonNode check = ConfigJson.read(dir.resolve("expected.json")).get("tokenizer_check");
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            long[] ids = tok.encode(check.get("text").asText(), true);
            assertArrayEquals(longs(check.get("ids")), ids);
            assertEquals(check.get("text").asText(), tok.decode(ids, true));
        }
    }

    @Test
    void fixturesAreSensitiveToTheRopeVariant() {
        // a fixture that any RoPE would pass proves nothing: the generator asserted this, re-check one case here
        Path dir = FIXTURES.resolve("yarn");
        JsonNode seq =
                ConfigJson.read(dir.resolve("expected.json")).get("sequences").get(0);
        double[] want = doubles(seq.get("token_logprobs"));
        double mean = 0;
        for (double v : want) {
            mean += v / want.length;
        }
        assertFalse(Math.abs(mean - Math.log(1.0 / 259)) < 0.05, "fixture logprobs are near-uniform");
    }

    static long[] longs(JsonNode a) {
        long[] out = new long[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asLong();
        }
        return out;
    }

    static double[] doubles(JsonNode a) {
        double[] out = new double[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).asDouble();
        }
        return out;
    }
}
