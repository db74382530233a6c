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
}
