package ai.posemesh.train.loop;

import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.io.Safetensors;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.train.TrainListener;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Checkpoint directories: {@code out/checkpoint-NNNNNN/} is a complete HF directory (loadable anywhere) plus
 * {@code trainer_state/} (optimizer moments, float32 master weights when the HF weights are bf16, step counters) and
 * {@code manifest.json} (sha256 of every other file, method, sampler, Lc, Lt, data split, step, losses). A checkpoint
 * is written under a temporary name and renamed into place, so a directory with a manifest is always complete; its
 * identity is the sha256 of its manifest.
 */
public final class Checkpoints {

    public static final String STATE_DIR = "trainer_state";
    static final String[] TOKENIZER_FILES = {"tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"};

    private Checkpoints() {}

    public static Path dirFor(Path out, int step) {
        return out.resolve(String.format("checkpoint-%06d", step));
    }

    /** The latest complete checkpoint (one with a manifest and trainer state), if any. */
    public static Optional<Path> latest(Path out) throws IOException {
        if (!Files.isDirectory(out)) {
            return Optional.empty();
        }
        try (Stream<Path> s = Files.list(out)) {
            return s.filter(p -> p.getFileName().toString().matches("checkpoint-\\d{6}"))
                    .filter(p -> Files.isRegularFile(p.resolve(CheckpointManifest.FILE)))
                    .filter(p -> Files.isRegularFile(p.resolve(STATE_DIR).resolve("state.json")))
                    .max(Path::compareTo);
        }
    }

    /**
     * Writes a checkpoint atomically.
     *
     * @param manifest fields describing the job (method, sampler, lengths, data, losses…); {@link CheckpointManifest}
     *     adds the files
     * @return sha256 of the manifest
     */
    static String write(
            Path dir, Llama model, DataType dtype, Path baseDir, AdamW optimizer, ObjectNode state, ObjectNode manifest)
            throws IOException {
        Path tmp = dir.resolveSibling("." + dir.getFileName() + ".tmp");
        deleteRecursively(tmp);
        HfCheckpoint.save(model, tmp, dtype);
        for (String f : TOKENIZER_FILES) {
            if (Files.isRegularFile(baseDir.resolve(f))) {
                Files.copy(baseDir.resolve(f), tmp.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        Path stateDir = Files.createDirectories(tmp.resolve(STATE_DIR));
        Safetensors.write(stateDir.resolve("optimizer.safetensors"), optimizer.state(), DataType.FLOAT32, Map.of());
        if (dtype != DataType.FLOAT32) {
            Safetensors.write(stateDir.resolve("master.safetensors"), model.weights(), DataType.FLOAT32, Map.of());
        }
        ConfigJson.write(stateDir.resolve("state.json"), state);
        String sha = CheckpointManifest.write(tmp, manifest); // last: it hashes every other file
        deleteRecursively(dir);
        Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
        return sha;
    }

    /**
     * A checkpoint already on disk, as the trainer announced it: identity, step, the RoPE and length of its config and
     * the numbers its manifest holds.
     */
    public static TrainListener.Checkpoint describe(Path dir) {
        JsonNode m = CheckpointManifest.read(dir);
        LlamaConfig config = HfCheckpoint.readConfig(dir);
        return new TrainListener.Checkpoint(
                dir,
                m.path("step").asInt(),
                CheckpointManifest.sha256Of(dir),
                config.rope(),
                config.maxPositionEmbeddings(),
                m.path("train_loss").asDouble(Double.NaN),
                m.path("wall_seconds").asDouble(Double.NaN),
                m.path("peak_rss_bytes").asLong(-1),
                m.path("last").asBoolean(false));
    }

    static void deleteRecursively(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        }
    }

    static List<Double> doubles(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false)
                .map(JsonNode::asDouble)
                .toList();
    }
}
