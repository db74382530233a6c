package ai.posemesh.serve.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import ai.posemesh.model.tokenizer.TextTokenizer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Incremental detokenization and stop-sequence matching on known text. */
class StreamingTextTest {

    @Test
    void multiByteCharactersAreReleasedWhole(@TempDir Path dir) throws Exception {
        ByteLevelTokenizer.write(dir, 64);
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            String text = "héllo → wörld 🙂!";
            Detokenizer d = new Detokenizer(tok);
            List<String> parts = new ArrayList<>();
            for (byte b : text.getBytes(StandardCharsets.UTF_8)) {
                parts.add(d.push(b & 0xff));
            }
            parts.add(d.flush());
            assertEquals(text, String.join("", parts));
            int emoji = parts.indexOf("🙂");
            assertEquals(
                    List.of("", "", ""),
                    parts.subList(emoji - 3, emoji),
                    "the emoji's first three bytes release nothing");
            parts.forEach(p -> assertEquals(-1, p.indexOf('\uFFFD'), "no replacement character: " + parts));
            assertEquals("", d.push(ByteLevelTokenizer.EOS), "special tokens decode to nothing");
        }
    }

    @Test
    void stopTextIsHeldBackAndNeverReleased() {
        StopMatcher m = new StopMatcher(List.of("\n\n", "END"));
        assertEquals("a", m.push("a"));
        assertEquals("b", m.push("b\n")); // "\n" could start "\n\n"
        assertEquals("\nc", m.push("c")); // it did not
        assertEquals("", m.push("E"));
        assertEquals("", m.push("N"));
        assertNull(m.matched());
        assertEquals("", m.push("Dxy"));
        assertEquals("END", m.matched());
        StopMatcher n = new StopMatcher(List.of("stop"));
        assertEquals("one two ", n.push("one two sto"));
        assertEquals("sto", n.flush(), "held text comes back when generation ends otherwise");
        StopMatcher first = new StopMatcher(List.of("bc", "ab"));
        assertEquals("x", first.push("xabc"));
        assertEquals("ab", first.matched(), "the earliest match wins");
    }
}
