package ai.posemesh.serve.registry;

import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;

/**
 * A checkpoint's identity: the sha256 of its {@code manifest.json}, whose {@code files} object maps every other file
 * (relative path) to its sha256 — the format the trainer writes. Read here with Jackson alone, so serving never
 * depends on the trainer.
 */
public final class Manifests {

    public static final String MANIFEST = "manifest.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private Manifests() {}

    /** sha256 of the directory's manifest.json, or "" when it has none. */
    public static String sha256(Path dir) {
        Path m = dir.resolve(MANIFEST);
        return Files.isRegularFile(m) ? sha256File(m) : "";
    }

    /**
     * Checks that manifest.json hashes to {@code expected} and that every file it lists matches its recorded sha256.
     *
     * @return the manifest's sha256
     * @throws InferenceException MANIFEST_MISMATCH naming the file, with expected and actual hashes
     */
    public static String verify(Path dir, String expected) {
        Path m = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(m)) {
            throw mismatch(
                    dir + " has no manifest.json, so it cannot match expected_manifest_sha256 " + expected,
                    MANIFEST,
                    expected,
                    "");
        }
        String actual = sha256File(m);
        if (!actual.equalsIgnoreCase(expected.trim())) {
            throw mismatch(
                    m + " has sha256 " + actual + ", not the expected " + expected
                            + " (a different or rewritten checkpoint)",
                    MANIFEST,
                    expected,
                    actual);
        }
        JsonNode files;
        try {
            files = JSON.readTree(m.toFile()).get("files");
        } catch (IOException e) {
            throw mismatch(m + " is not valid JSON: " + e.getMessage(), MANIFEST, expected, actual);
        }
        if (files == null || !files.isObject() || files.isEmpty()) {
            throw mismatch(m + " lists no files (no \"files\" object)", MANIFEST, expected, actual);
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = files.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            Path f = dir.resolve(e.getKey()).normalize();
            String want = e.getValue().asText();
            if (!f.startsWith(dir.normalize())) {
                throw mismatch(m + " lists a file outside the directory: " + e.getKey(), e.getKey(), want, "");
            }
            if (!Files.isRegularFile(f)) {
                throw mismatch(f + " is listed in manifest.json but missing", e.getKey(), want, "");
            }
            String got = sha256File(f);
            if (!got.equalsIgnoreCase(want)) {
                throw mismatch(
                        f + " has sha256 " + got + " but manifest.json records " + want
                                + " (the file changed after the checkpoint was written)",
                        e.getKey(),
                        want,
                        got);
            }
        }
        return actual;
    }

    private static InferenceException mismatch(String message, String file, String expected, String actual) {
        return new InferenceException(
                Reason.MANIFEST_MISMATCH,
                message,
                InferenceException.meta("file", file, "expected_sha256", expected, "actual_sha256", actual));
    }

    static String sha256File(Path file) {
        try (InputStream in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 16];
            for (int n; (n = in.read(buf)) > 0; ) {
                md.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (IOException e) {
            throw new InferenceException(
                    Reason.CHECKPOINT_UNREADABLE,
                    file + ": cannot be read: " + e.getMessage(),
                    InferenceException.meta("file", file.toString()),
                    e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
