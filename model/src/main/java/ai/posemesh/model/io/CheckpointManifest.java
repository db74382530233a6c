package ai.posemesh.model.io;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A checkpoint directory's {@code manifest.json}: the fields that describe the checkpoint (the trainer's: format,
 * step, job, sampler, RoPE, data split, losses, …) followed by {@code files}, the sha256 of every other file under the
 * directory by relative path. The sha256 of manifest.json itself is the checkpoint's identity: the trainer announces
 * it, and a loader that is given it checks the manifest and every file it lists ({@link #verify}).
 *
 * <p>Written with {@link ConfigJson#MAPPER} (indented, no trailing newline), byte for byte as the trainer always has.
 */
public final class CheckpointManifest {

    public static final String FILE = "manifest.json";

    private CheckpointManifest() {}

    /** The directory does not match the manifest; {@link #entry()} names the file at fault. */
    public static final class Mismatch extends CheckpointException {

        private final String entry;
        private final String expectedSha256;
        private final String actualSha256;

        Mismatch(String message, String entry, String expectedSha256, String actualSha256) {
            super(null, null, message); // the message names the file in full
            this.entry = entry;
            this.expectedSha256 = expectedSha256;
            this.actualSha256 = actualSha256;
        }

        /** {@code manifest.json}, or a file the manifest lists (its path relative to the directory). */
        public String entry() {
            return entry;
        }

        public String expectedSha256() {
            return expectedSha256;
        }

        /** "" when the file is missing. */
        public String actualSha256() {
            return actualSha256;
        }
    }

    /**
     * Writes {@code dir/manifest.json}: {@code fields}, then {@code files} (every other file under {@code dir}, so
     * write it last).
     *
     * @return the manifest's sha256
     */
    public static String write(Path dir, ObjectNode fields) throws IOException {
        ObjectNode manifest = fields.deepCopy();
        ObjectNode files = manifest.putObject("files");
        hashFiles(dir).forEach(files::put);
        byte[] bytes = ConfigJson.MAPPER.writeValueAsBytes(manifest);
        Files.write(dir.resolve(FILE), bytes);
        return sha256(bytes);
    }

    /** sha256 of every file under {@code dir} except manifest.json, by relative path, sorted. */
    public static SortedMap<String, String> hashFiles(Path dir) throws IOException {
        SortedMap<String, String> out = new TreeMap<>();
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.filter(Files::isRegularFile).toList()) {
                String rel = dir.relativize(p).toString();
                if (!rel.equals(FILE)) {
                    out.put(rel, sha256(p));
                }
            }
        }
        return out;
    }

    /** The parsed manifest; a missing or malformed one is a {@link CheckpointException} naming it. */
    public static JsonNode read(Path dir) {
        return ConfigJson.read(dir.resolve(FILE));
    }

    /** sha256 of {@code dir/manifest.json}, or "" when the directory has none. */
    public static String sha256Of(Path dir) {
        Path m = dir.resolve(FILE);
        return Files.isRegularFile(m) ? sha256(m) : "";
    }

    /**
     * Checks that manifest.json hashes to {@code expected} (hex, any case) and that every file it lists matches its
     * recorded sha256.
     *
     * @return the manifest's sha256
     * @throws Mismatch naming the file at fault, with the expected and actual hashes
     * @throws CheckpointException when a file cannot be read
     */
    public static String verify(Path dir, String expected) {
        Path m = dir.resolve(FILE);
        if (!Files.isRegularFile(m)) {
            throw new Mismatch(
                    dir + " has no manifest.json, so it cannot match expected_manifest_sha256 " + expected,
                    FILE,
                    expected,
                    "");
        }
        String actual = sha256(m);
        if (!actual.equalsIgnoreCase(expected.trim())) {
            throw new Mismatch(
                    m + " has sha256 " + actual + ", not the expected " + expected
                            + " (a different or rewritten checkpoint)",
                    FILE,
                    expected,
                    actual);
        }
        JsonNode files;
        try {
            files = read(dir).get("files");
        } catch (CheckpointException e) {
            throw new Mismatch(e.getMessage(), FILE, expected, actual);
        }
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw new Mismatch(m + " lists no files (no \"files\" object)", FILE, expected, actual);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Path f = dir.resolve(e.getKey()).normalize();
            String want = e.getValue().asText();
            if (!f.startsWith(dir.normalize())) {
                throw new Mismatch(m + " lists a file outside the directory: " + e.getKey(), e.getKey(), want, "");
            }
            if (!Files.isRegularFile(f)) {
                throw new Mismatch(f + " is listed in manifest.json but missing", e.getKey(), want, "");
            }
            String got = sha256(f);
            if (!got.equalsIgnoreCase(want)) {
                throw new Mismatch(
                        f + " has sha256 " + got + " but manifest.json records " + want
                                + " (the file changed after the checkpoint was written)",
                        e.getKey(),
                        want,
                        got);
            }
        }
        return actual;
    }

    /** Lower-case hex sha256 of a file, streamed; an unreadable file is a {@link CheckpointException} naming it. */
    public static String sha256(Path file) {
        MessageDigest md = digest();
        try (InputStream in = Files.newInputStream(file)) {
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot be read: " + e.getMessage(), e);
        }
        return HexFormat.of().formatHex(md.digest());
    }

    /** Lower-case hex sha256 of bytes. */
    public static String sha256(byte[] bytes) {
        return HexFormat.of().formatHex(digest().digest(bytes));
    }

    private static MessageDigest digest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JVM has SHA-256", e);
        }
    }
}
