package ai.posemesh.service.eval;

import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.testkit.TinyModels;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Tiny real inputs: random byte-level LLaMA directories ({@link TinyModels}: 2 layers, d=32, a 1024-token window unless said, std
 * 0.3) — a base without a manifest, checkpoints with manifest.json as the trainer writes it — and a small JSONL corpus.
 */
public final class TestModels {

    public static final Path ROOT = Path.of("target/test-models").toAbsolutePath();

    private TestModels() {}

    /** A model directory written once per name; {@code manifestStep} ≥ 0 adds a trainer-style manifest.json. */
    public static synchronized Path model(String name, long seed, int manifestStep) throws IOException {
        return model(name, seed, manifestStep, 1024);
    }

    /** As {@link #model(String, long, int)} with a {@code window}-token max_position_embeddings. */
    public static synchronized Path model(String name, long seed, int manifestStep, int window) throws IOException {
        Path dir = ROOT.resolve(name);
        if (Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG))) {
            return dir;
        }
        TinyModels.write(dir, TinyModels.llama(window).config(), seed, TinyModels.VARIED_STD);
        if (manifestStep >= 0) {
            TinyModels.writeManifest(dir, manifestStep);
        }
        return dir;
    }

    public static String manifestSha(Path dir) {
        return CheckpointManifest.sha256(dir.resolve(CheckpointManifest.FILE));
    }

    /** {@code docs} documents of {@code chars} characters (byte-level: one token per character). */
    public static Path corpus(Path file, int docs, int chars) throws IOException {
        Random r = new Random(11);
        String[] words = {"the", "model", "reads", "long", "text", "and", "skips", "positions", "in", "a", "window"};
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            while (sb.length() < chars) {
                sb.append(words[r.nextInt(words.length)]).append(' ');
            }
            lines.add("{\"id\":\"d" + d + "\",\"text\":\""
                    + sb.substring(0, chars).trim() + "\"}");
        }
        Files.createDirectories(file.getParent());
        Files.write(file, lines, StandardCharsets.UTF_8);
        return file;
    }
}
