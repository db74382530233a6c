package ai.posemesh.testkit;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A small JSONL corpus of made-up prose for the tests: {@code {"id","text"}} per line, deterministic per seed. */
public final class TinyCorpus {

    private static final String[] WORDS = {
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

    private TinyCorpus() {}

    /**
     * Writes {@code docs} documents of {@code chars} characters each (byte-level models: one token per character),
     * ids {@code d0, d1, …}, to {@code file}.
     */
    public static Path write(Path file, int docs, int chars, long seed) throws IOException {
        Random r = new Random(seed);
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < chars) {
                sb.append(WORDS[r.nextInt(WORDS.length)]).append(r.nextInt(10) == 0 ? ". " : " ");
            }
            lines.add("{\"id\":\"d" + d + "\",\"text\":\""
                    + sb.substring(0, chars).trim() + "\"}");
        }
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
