package ai.posemesh.evaluation.passkey;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.testkit.TinyModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PasskeyEvalTest {

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

    @Test
    void promptsFitTheLengthAndTrialsRun() throws Exception {
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
                assertThrows(IllegalArgumentException.class, () -> eval.run(100, 1, 0, null));
                List<PasskeyEval.Trial> log = new ArrayList<>();
                PasskeyEval.LengthResult r = eval.run(1024, 3, 7, log);
                assertEquals(3, r.trials());
                assertEquals(3, log.size());
                assertTrue(r.meanPromptTokens() <= 1024 && r.meanPromptTokens() > 1024 - 100);
                for (PasskeyEval.Trial t : log) {
                    assertTrue(t.depthUnits() >= 0 && t.depthUnits() <= n);
                    assertTrue(t.key() >= 1 && t.key() <= 50000);
                }
                // a random model does not know the key
                assertEquals(0, r.passed());
            }
        }
    }
}
