package ai.posemesh.model.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointManifestTest {

    static final Path TINY_BASE = Path.of("").toAbsolutePath().getParent().resolve("models/tiny-base");

    @TempDir
    Path tmp;

    Path checkpoint() throws Exception {
        Path dir = tmp.resolve("checkpoint-000003");
        Files.createDirectories(dir.resolve("trainer_state"));
        Files.writeString(dir.resolve("config.json"), "{\"hidden_size\": 8}\n");
        Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2, 3});
        Files.writeString(dir.resolve("trainer_state/state.json"), "{\"step\": 3}\n");
        return dir;
    }

    @Test
    void writesTheFieldsThenEveryOtherFileAndVerifies() throws Exception {
        Path dir = checkpoint();
        ObjectNode fields = ConfigJson.MAPPER.createObjectNode().put("format", "posemesh-checkpoint/1");
        fields.put("step", 3);
        String sha = CheckpointManifest.write(dir, fields);
        assertEquals(sha, CheckpointManifest.sha256(dir.resolve("manifest.json")));
        assertEquals(sha, CheckpointManifest.sha256Of(dir));
        assertEquals(sha, CheckpointManifest.verify(dir, sha.toUpperCase()));

        JsonNode m = CheckpointManifest.read(dir);
        assertEquals(List.of("format", "step", "files"), names(m));
        assertEquals(List.of("config.json", "model.safetensors", "trainer_state/state.json"), names(m.get("files")));
        assertEquals(
                CheckpointManifest.sha256("{\"hidden_size\": 8}\n".getBytes(StandardCharsets.UTF_8)),
                m.get("files").get("config.json").asText());
        assertEquals(List.of("format", "step"), names(fields), "the caller's fields are left as they were");

        // writing again (the manifest itself is never listed) gives the same bytes
        assertEquals(sha, CheckpointManifest.write(dir, fields));
    }

    @Test
    void aMismatchNamesTheFile() throws Exception {
        Path dir = checkpoint();
        String sha = CheckpointManifest.write(
                dir, ConfigJson.MAPPER.createObjectNode().put("step", 3));

        CheckpointManifest.Mismatch e =
                assertThrows(CheckpointManifest.Mismatch.class, () -> CheckpointManifest.verify(dir, "ab12"));
        assertEquals("manifest.json", e.entry());
        assertEquals("ab12", e.expectedSha256());
        assertEquals(sha, e.actualSha256());

        String recorded = CheckpointManifest.read(dir)
                .get("files")
                .get("trainer_state/state.json")
                .asText();
        Files.writeString(dir.resolve("trainer_state/state.json"), "{\"step\": 4}\n");
        e = assertThrows(CheckpointManifest.Mismatch.class, () -> CheckpointManifest.verify(dir, sha));
        assertEquals("trainer_state/state.json", e.entry());
        assertEquals(recorded, e.expectedSha256());
        assertEquals(CheckpointManifest.sha256(dir.resolve("trainer_state/state.json")), e.actualSha256());
        assertTrue(e.getMessage().contains("state.json"), e.getMessage());

        Files.delete(dir.resolve("model.safetensors"));
        e = assertThrows(CheckpointManifest.Mismatch.class, () -> CheckpointManifest.verify(dir, sha));
        assertEquals("model.safetensors", e.entry());
        assertEquals("", e.actualSha256());

        Files.delete(dir.resolve("manifest.json"));
        assertEquals("", CheckpointManifest.sha256Of(dir));
        e = assertThrows(CheckpointManifest.Mismatch.class, () -> CheckpointManifest.verify(dir, sha));
        assertEquals("manifest.json", e.entry());
        assertEquals("", e.actualSha256());
    }

    @Test
    void aManifestMayNotReachOutsideItsDirectoryOrListNothing() throws Exception {
        Path dir = checkpoint();
        Files.writeString(tmp.resolve("secret"), "x");
        byte[] outside = "{\"files\":{\"../secret\":\"00\"}}".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("manifest.json"), outside);
        CheckpointManifest.Mismatch e = assertThrows(
                CheckpointManifest.Mismatch.class,
                () -> CheckpointManifest.verify(dir, CheckpointManifest.sha256(outside)));
        assertEquals("../secret", e.entry());

        byte[] empty = "{\"step\":1}".getBytes(StandardCharsets.UTF_8);
        Files.write(dir.resolve("manifest.json"), empty);
        e = assertThrows(
                CheckpointManifest.Mismatch.class,
                () -> CheckpointManifest.verify(dir, CheckpointManifest.sha256(empty)));
        assertEquals("manifest.json", e.entry());
        assertTrue(e.getMessage().contains("lists no files"), e.getMessage());
    }

    /**
     * The committed tiny base's training manifests are what the trainer wrote: the writer reproduces their bytes, and
     * the HF files of models/tiny-base (stage 5's last checkpoint; trainer_state/ is not committed) match stage 5's.
     */
    @Test
    void theCommittedTinyBaseManifestsAreInThisFormat() throws Exception {
        List<Path> manifests;
        try (Stream<Path> s = Files.list(TINY_BASE.resolve("training"))) {
            manifests = s.filter(p -> p.getFileName().toString().endsWith("-manifest.json"))
                    .sorted()
                    .toList();
        }
        assertEquals(5, manifests.size(), manifests.toString());
        for (Path f : manifests) {
            byte[] bytes = Files.readAllBytes(f);
            assertArrayEquals(bytes, ConfigJson.MAPPER.writeValueAsBytes(ConfigJson.read(f)), f.toString());
            List<String> names = names(ConfigJson.read(f));
            assertEquals("files", names.get(names.size() - 1), f.toString());
        }
        JsonNode stage5 = ConfigJson.read(TINY_BASE.resolve("training/stage5-manifest.json"));
        int checked = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = stage5.get("files").fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getKey().startsWith("trainer_state/")) {
                assertEquals(
                        e.getValue().asText(), CheckpointManifest.sha256(TINY_BASE.resolve(e.getKey())), e.getKey());
                checked++;
            }
        }
        assertEquals(5, checked);
    }

    static List<String> names(JsonNode object) {
        List<String> out = new java.util.ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
