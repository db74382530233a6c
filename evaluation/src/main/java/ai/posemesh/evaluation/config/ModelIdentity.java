package ai.posemesh.evaluation.config;

import ai.posemesh.model.io.CheckpointManifest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * A model directory's identity for evaluation bookkeeping: the sha256 of its {@code manifest.json} when it has one
 * (what the trainer writes and CheckpointPublished carries; kind {@code manifest}); otherwise (a base model that never
 * went through the trainer) the sha256 of a manifest computed here: one line {@code <file name> <sha256 of the
 * file>\n} per regular file of the directory, sorted by name (kind {@code files}: config.json, weights, tokenizer…).
 * Changing any file changes the identity, so a re-written base is evaluated again.
 */
public record ModelIdentity(String sha256, String kind) {

    public static ModelIdentity of(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(dir + ": no such directory");
        }
        Path manifest = dir.resolve(CheckpointManifest.FILE);
        if (Files.isRegularFile(manifest)) {
            return new ModelIdentity(CheckpointManifest.sha256(manifest), "manifest");
        }
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .sorted()
                    .toList();
        } catch (IOException e) {
            throw new IllegalArgumentException(dir + ": cannot list (" + e.getMessage() + ")", e);
        }
        if (files.stream().noneMatch(p -> p.getFileName().toString().equals("config.json"))) {
            throw new IllegalArgumentException(dir.resolve("config.json") + ": file not found (not an HF directory)");
        }
        StringBuilder lines = new StringBuilder();
        for (Path f : files) {
            lines.append(f.getFileName())
                    .append(' ')
                    .append(CheckpointManifest.sha256(f))
                    .append('\n');
        }
        return new ModelIdentity(CheckpointManifest.sha256(lines.toString().getBytes(StandardCharsets.UTF_8)), "files");
    }

    /** The evaluation id of a model under a suite configuration: {@code eval-<sha 12>-<suite sha 8>}. */
    public static String evaluationId(String modelSha256, String suiteSha256) {
        return "eval-" + prefix(modelSha256, 12) + "-" + prefix(suiteSha256, 8);
    }

    /** The idempotency key: one evaluation per (model sha256, suite sha256). */
    public static String key(String modelSha256, String suiteSha256) {
        return modelSha256 + "/" + suiteSha256;
    }

    private static String prefix(String s, int n) {
        return s.length() <= n ? s : s.substring(0, n);
    }
}
