package ai.posemesh.service.eval;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Tiny real inputs: random byte-level LLaMA directories (2 layers, d=32, a 1024-token window) — a base without a
 * manifest, checkpoints with manifest.json as the trainer writes it — and a small JSONL corpus.
 */
public final class TestModels {

    public static final Path ROOT = Path.of("target/test-models").toAbsolutePath();

    private TestModels() {}

    /** A model directory written once per name; {@code manifestStep} ≥ 0 adds a trainer-style manifest.json. */
    public static synchronized Path model(String name, long seed, int manifestStep) throws IOException {
        Path dir = ROOT.resolve(name);
        if (Files.isRegularFile(dir.resolve(HfCheckpoint.CONFIG))) {
            return dir;
        }
        LlamaConfig c = new LlamaConfig(
                ByteLevelTokenizer.VOCAB_SIZE,
                32,
                LlamaConfig.defaultIntermediateSize(32),
                2,
                4,
                2,
                8,
                1024,
                1e-6,
                false,
                false,
                false,
                ByteLevelTokenizer.BOS,
                new int[] {ByteLevelTokenizer.EOS},
                ByteLevelTokenizer.PAD,
                "float32",
                RopeParameters.of("default", 10000.0, Map.of()));
        Files.createDirectories(dir);
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(c, seed, 0.3, m.newSubManager())) {
            HfCheckpoint.save(model, dir, DataType.FLOAT32);
            ByteLevelTokenizer.write(dir, 1024);
        }
        if (manifestStep >= 0) {
            writeManifest(dir, manifestStep);
        }
        return dir;
    }

    /** manifest.json as the trainer writes it (sha256 of every other file); returns its sha256. */
    static void writeManifest(Path dir, int step) throws IOException {
        StringBuilder files = new StringBuilder();
        try (Stream<Path> s = Files.list(dir)) {
            for (Path p : s.filter(p -> !p.getFileName().toString().equals("manifest.json"))
                    .sorted()
                    .toList()) {
                files.append(files.length() == 0 ? "" : ",")
                        .append('"')
                        .append(p.getFileName())
                        .append("\":\"")
                        .append(sha256(Files.readAllBytes(p)))
                        .append('"');
            }
        }
        Files.writeString(dir.resolve("manifest.json"), "{\"step\":" + step + ",\"files\":{" + files + "}}");
    }

    public static String manifestSha(Path dir) throws IOException {
        return sha256(Files.readAllBytes(dir.resolve("manifest.json")));
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
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
