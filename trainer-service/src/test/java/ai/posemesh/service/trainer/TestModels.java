package ai.posemesh.service.trainer;

import ai.posemesh.testkit.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Tiny real inputs for the tests: a random byte-level LLaMA as an HF directory, and a JSONL corpus. */
public final class TestModels {

    private TestModels() {}

    /** A 2-layer, d=32 LLaMA with a {@code maxPos}-token window (default RoPE), written once per directory. */
    public static Path tinyModel(Path dir, int maxPos) throws IOException {
        return TinyModels.writeOnce(dir, TinyModels.llama(maxPos).config(), 7);
    }

    /** {@code docs} documents of {@code chars} characters each (byte-level: one token per character). */
    public static Path corpus(Path file, int docs, int chars) throws IOException {
        Random r = new Random(11);
        String[] words = {
            "the",
            "model",
            "reads",
            "long",
            "text",
            "and",
            "skips",
            "positions",
            "within",
            "a",
            "window",
            "while",
            "training",
            "on",
            "short",
            "chunks",
            "of",
            "every",
            "document"
        };
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < chars) {
                sb.append(words[r.nextInt(words.length)]).append(r.nextInt(10) == 0 ? ". " : " ");
            }
            lines.add("{\"id\":\"d" + d + "\",\"text\":\""
                    + sb.substring(0, chars).trim() + "\"}");
        }
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
