package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pose eval passkey} on the committed tiny base (models/tiny-base): the table, the per-trial log, bad input,
 * and that the base still retrieves a key within its own window (it did 50 of 50 at 128 tokens when committed; a
 * change to the model code, tokenizer or prompt that breaks retrieval shows up here).
 */
class EvalCommandTest {

    static final Path TINY_BASE = Path.of("").toAbsolutePath().getParent().resolve("models/tiny-base");

    @TempDir
    Path tmp;

    @Test
    void passkeyWithinTheTinyBaseWindow() throws Exception {
        Path log = tmp.resolve("trials.jsonl");
        PoseCommandTest.Run r = PoseCommandTest.run(
                "eval",
                "passkey",
                "--model",
                TINY_BASE.toString(),
                "--lengths",
                "128",
                "--trials",
                "20",
                "--trials-out",
                log.toString());
        assertEquals(0, r.code(), r.err());
        Matcher row = Pattern.compile("\\| 128 \\| (\\d+) \\| 20 \\| (\\d+) \\| ([0-9.]+) \\|")
                .matcher(r.out());
        assertTrue(row.find(), r.out());
        int fillerUnits = Integer.parseInt(row.group(1));
        int passed = Integer.parseInt(row.group(2));
        assertEquals(passed / 20.0, Double.parseDouble(row.group(3)), 0.005);

        List<String> lines = Files.readAllLines(log);
        assertEquals(20, lines.size());
        int passedInLog = 0;
        for (String line : lines) {
            JsonNode t = ConfigJson.MAPPER.readTree(line);
            assertEquals(128, t.get("length").asInt());
            assertEquals(fillerUnits, t.get("filler_units").asInt());
            int key = t.get("key").asInt();
            assertTrue(key >= 1 && key <= 50_000, line);
            int depth = t.get("depth_units").asInt();
            assertTrue(depth >= 0 && depth <= fillerUnits, line);
            // the verdict is the protocol's: the first number in the generated text equals the key
            Matcher n = Pattern.compile("\\d+").matcher(t.get("answer").asText());
            assertEquals(
                    n.find() && n.group().equals(Integer.toString(key)),
                    t.get("passed").asBoolean(),
                    line);
            passedInLog += t.get("passed").asBoolean() ? 1 : 0;
        }
        assertEquals(passed, passedInLog);
        assertTrue(passed >= 18, "the tiny base retrieves within its window: " + passed + "/20\n" + r.out());
    }

    @Test
    void passkeyBadInput() {
        PoseCommandTest.Run tooShort = PoseCommandTest.run(
                "eval", "passkey", "--model", TINY_BASE.toString(), "--lengths", "128,20", "--trials", "1");
        assertEquals(PoseCommand.EXIT_BAD_INPUT, tooShort.code());
        assertTrue(tooShort.err().contains("--lengths: 20 tokens cannot hold the passkey prompt"), tooShort.err());
        assertTrue(!tooShort.out().contains("| 128 |"), "no trial runs before every length is checked");

        PoseCommandTest.Run unwritable = PoseCommandTest.run(
                "eval",
                "passkey",
                "--model",
                TINY_BASE.toString(),
                "--lengths",
                "128",
                "--trials",
                "1",
                "--trials-out",
                tmp.resolve("no/such/dir/t.jsonl").toString());
        assertEquals(PoseCommand.EXIT_BAD_INPUT, unwritable.code());
        assertTrue(unwritable.err().contains("--trials-out: cannot write"), unwritable.err());
    }

    static Path heldout() throws Exception {
        return Path.of(EvalCommandTest.class.getResource("/eval/heldout.txt").toURI());
    }

    static List<String> fields(JsonNode n) {
        List<String> f = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(f::add);
        return f;
    }

    @Test
    void pplJsonOnTheTinyBase() throws Exception {
        PoseCommandTest.Run r = PoseCommandTest.run(
                "eval",
                "ppl",
                "--model",
                TINY_BASE.toString(),
                "--data",
                heldout().toString(),
                "--lengths",
                "64,128",
                "--docs",
                "1",
                "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = ConfigJson.MAPPER.readTree(r.out());
        assertEquals("ppl", j.get("suite").asText());
        assertEquals("tiny-base", j.get("model").get("name").asText());
        assertEquals(256, j.get("model").get("max_context").asInt());
        JsonNode results = j.get("results");
        assertEquals(2, results.size());
        for (int i = 0; i < 2; i++) {
            JsonNode e = results.get(i);
            assertEquals(List.of("length", "ppl", "scored_tokens", "docs"), fields(e));
            assertEquals(i == 0 ? 64 : 128, e.get("length").asInt());
            // one document cut to max-tokens - 1 = 127 tokens (the default max-tokens is the longest length);
            // sliding windows count each of its tokens once
            assertEquals(127, e.get("scored_tokens").asLong());
            assertEquals(1, e.get("docs").asInt());
            double ppl = e.get("ppl").asDouble();
            assertTrue(ppl > 3 && ppl < 150, "held-out perplexity of the tiny base: " + ppl);
        }
        assertEquals(List.of("heldout.txt"), List.of(j.get("doc_ids").get(0).asText()));
        assertTrue(r.err().contains("ppl 128: ["), "a progress bar on stderr: " + r.err());
    }

    @Test
    void pplTableOnAJsonlCorpus() throws Exception {
        Path jsonl = tmp.resolve("two.jsonl");
        String[] paragraphs = Files.readString(heldout()).split("\n\n");
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < 3; i++) {
            b.append(ConfigJson.ONE_LINE.writeValueAsString(ConfigJson.MAPPER
                            .createObjectNode()
                            .put("id", "d" + i)
                            .put("text", paragraphs[i])))
                    .append('\n');
        }
        Files.writeString(jsonl, b);
        PoseCommandTest.Run r = PoseCommandTest.run(
                "eval",
                "ppl",
                "--model",
                TINY_BASE.toString(),
                "--data",
                jsonl.toString(),
                "--lengths",
                "32",
                "--stride",
                "16",
                "--docs",
                "2",
                "--min-tokens",
                "2",
                "--max-tokens",
                "100");
        assertEquals(0, r.code(), r.err());
        Matcher row = Pattern.compile("\\| 32 \\| 16 \\| 2 \\| (\\d+) \\| (\\d+) \\| ([0-9.]+) \\|")
                .matcher(r.out());
        assertTrue(row.find(), r.out());
        int windows = Integer.parseInt(row.group(1));
        long scored = Long.parseLong(row.group(2));
        assertTrue(windows >= 2 * 6, "two documents of up to 99 tokens in windows of 31 every 16: " + windows);
        assertTrue(scored > 100 && scored <= 2 * 99, r.out());
        assertTrue(r.err().contains("2 of 3 documents"), r.err());
    }

    @Test
    void pplBadInput() throws Exception {
        String model = TINY_BASE.toString();
        String text = heldout().toString();
        PoseCommandTest.assertError(
                PoseCommandTest.run("eval", "ppl", "--model", model, "--data", "bookz", "--lengths", "64"),
                "--data: bookz: no such file or directory");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval",
                        "ppl",
                        "--model",
                        model,
                        "--data",
                        "books",
                        "--data-root",
                        tmp.toString(),
                        "--lengths",
                        "64"),
                "--data: corpus family 'books' has not been fetched");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval",
                        "ppl",
                        "--model",
                        model,
                        "--data",
                        tmp.resolve("no.jsonl").toString(),
                        "--lengths",
                        "64"),
                "--data: ",
                "no.jsonl: no such file or directory");
        PoseCommandTest.assertError(
                PoseCommandTest.run("eval", "ppl", "--model", model, "--data", text, "--lengths", "64,1"),
                "--lengths: a window must hold BOS and at least one token: at least 2, got 1");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval", "ppl", "--model", model, "--data", text, "--lengths", "64", "--stride", "64"),
                "--stride: must be in [1, 63] for window 64");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval",
                        "ppl",
                        "--model",
                        model,
                        "--endpoint",
                        "localhost:1",
                        "--data",
                        text,
                        "--lengths",
                        "64"),
                "--model, --endpoint: give exactly one");
        PoseCommandTest.assertError(
                PoseCommandTest.run("eval", "ppl", "--data", text, "--lengths", "64"), "--model, --endpoint");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval", "ppl", "--model", model, "--model-name", "x", "--data", text, "--lengths", "64"),
                "--model-name: only with --endpoint");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval", "ppl", "--model", model, "--data", text, "--lengths", "64", "--min-tokens", "100000"),
                "--min-tokens: must be in [1, max-tokens = 64]");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval",
                        "ppl",
                        "--model",
                        model,
                        "--data",
                        text,
                        "--lengths",
                        "64",
                        "--min-tokens",
                        "5000",
                        "--max-tokens",
                        "5000"),
                "--data: no document has at least min-tokens − 1 = 4999 tokens");
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval", "ppl", "--model", tmp.resolve("none").toString(), "--data", text),
                "--model: ",
                "no such directory");
        PoseCommandTest.Run unreachable =
                PoseCommandTest.run("eval", "ppl", "--endpoint", "127.0.0.1:1", "--data", text, "--lengths", "64");
        assertEquals(1, unreachable.code(), unreachable.err());
        assertTrue(unreachable.err().contains("UNAVAILABLE"), unreachable.err());
        assertTrue(unreachable.err().contains("inference-service at 127.0.0.1:1"), unreachable.err());
    }

    @Test
    void passkeyJson() throws Exception {
        PoseCommandTest.Run r = PoseCommandTest.run(
                "eval", "passkey", "--model", TINY_BASE.toString(), "--lengths", "128,256", "--trials", "2", "--json");
        assertEquals(0, r.code(), r.err());
        JsonNode j = ConfigJson.MAPPER.readTree(r.out());
        assertEquals("passkey", j.get("suite").asText());
        assertEquals(2, j.get("results").size());
        for (int i = 0; i < 2; i++) {
            JsonNode e = j.get("results").get(i);
            assertEquals(List.of("length", "trials", "passed", "accuracy"), fields(e));
            assertEquals(i == 0 ? 128 : 256, e.get("length").asInt());
            assertEquals(2, e.get("trials").asInt());
            assertEquals(e.get("passed").asInt() / 2.0, e.get("accuracy").asDouble());
        }
        assertTrue(r.err().contains("256 is the target window: prompts are sized to 156 tokens"), r.err());
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "eval", "passkey", "--model", TINY_BASE.toString(), "--lengths", "128", "--trials", "0"),
                "--trials: must be >= 1");
    }
}
