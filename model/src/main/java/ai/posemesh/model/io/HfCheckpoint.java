package ai.posemesh.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.llama.Llama;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A HuggingFace model directory: {@code config.json}, {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}, and optionally {@code tokenizer.json}, {@code tokenizer_config.json},
 * {@code generation_config.json}. What posemesh writes loads in HF transformers as {@code LlamaForCausalLM}.
 */
public final class HfCheckpoint {

    public static final String CONFIG = "config.json";
    public static final String WEIGHTS = "model.safetensors";
    public static final String INDEX = "model.safetensors.index.json";
    public static final String GENERATION_CONFIG = "generation_config.json";

    private HfCheckpoint() {}

    /** The config of a checkpoint directory, without loading weights. */
    public static LlamaConfig readConfig(Path dir) {
        requireDirectory(dir);
        return LlamaConfig.read(dir.resolve(CONFIG));
    }

    /** The weight files' dtypes (e.g. {"BF16"}), from their headers only. */
    public static Set<String> weightDtypes(Path dir) {
        Set<String> out = new TreeSet<>();
        for (Path f : weightFiles(dir)) {
            Safetensors.header(f).entries().values().forEach(e -> out.add(e.dtype()));
        }
        return out;
    }

    /** Loads the model; its tensors live in a sub-manager of {@code parent}, closed with the model. */
    public static Llama load(Path dir, NDManager parent) {
        Engines.pytorch();
        LlamaConfig config = readConfig(dir);
        NDManager manager = parent.newSubManager();
        try {
            Map<String, NDArray> weights = new LinkedHashMap<>();
            Path source = null;
            for (Path f : weightFiles(dir)) {
                Safetensors.Header h = Safetensors.header(f);
                source = source == null ? f : source;
                for (String name : h.entries().keySet()) {
                    if (weights.containsKey(name)) {
                        throw new CheckpointException(f, name, "tensor appears in more than one shard");
                    }
                    weights.put(name, Safetensors.read(h, name, manager));
                }
            }
            return new Llama(config, weights, manager, weightFiles(dir).size() == 1 ? source : dir.resolve(INDEX));
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** model.safetensors, or the shards listed by model.safetensors.index.json, in index order. */
    public static java.util.List<Path> weightFiles(Path dir) {
        requireDirectory(dir);
        Path single = dir.resolve(WEIGHTS);
        if (Files.isRegularFile(single)) {
            return java.util.List.of(single);
        }
        Path index = dir.resolve(INDEX);
        if (!Files.isRegularFile(index)) {
            throw new CheckpointException(
                    dir,
                    WEIGHTS,
                    "no model.safetensors or model.safetensors.index.json in "
                            + "the directory (pytorch_model.bin is not read: convert it to safetensors)");
        }
        JsonNode map = ConfigJson.read(index).get("weight_map");
        if (map == null || !map.isObject() || map.isEmpty()) {
            throw new CheckpointException(index, "weight_map", "missing or empty");
        }
        Set<Path> files = new LinkedHashSet<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = map.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String shard = e.getValue().asText();
            Path f = dir.resolve(shard).normalize();
            if (!f.startsWith(dir.normalize()) || shard.isEmpty()) {
                throw new CheckpointException(index, "weight_map." + e.getKey(), "bad shard name '" + shard + "'");
            }
            if (!Files.isRegularFile(f)) {
                throw new CheckpointException(index, "weight_map." + e.getKey(), "shard " + shard + " not found");
            }
            files.add(f);
        }
        return java.util.List.copyOf(files);
    }

    /**
     * Writes config.json (legacy RoPE layout, read by transformers 4.x and 5.x alike), model.safetensors in
     * {@code dtype} (F32, BF16 or F16) with HF tensor names, and generation_config.json. The tokenizer files are the
     * caller's (see {@code ByteLevelTokenizer}).
     */
    public static void save(Llama model, Path dir, DataType dtype) throws IOException {
        save(model, dir, dtype, LlamaConfig.Layout.LEGACY);
    }

    public static void save(Llama model, Path dir, DataType dtype, LlamaConfig.Layout layout) throws IOException {
        Files.createDirectories(dir);
        String dtypeName = switch (dtype) {
            case FLOAT32 -> "float32";
            case BFLOAT16 -> "bfloat16";
            case FLOAT16 -> "float16";
            default -> throw new IllegalArgumentException("posemesh writes float32, bfloat16 or float16, not " + dtype);
        };
        LlamaConfig config = model.config().withDtype(dtypeName);
        // the weights go to a temporary name and are moved into place, config.json comes last: a crash never leaves
        // half-written weights under the final name
        Path tmpWeights = dir.resolve(WEIGHTS + ".tmp");
        Safetensors.write(tmpWeights, model.weights(), dtype, Map.of());
        Files.move(
                tmpWeights,
                dir.resolve(WEIGHTS),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        ConfigJson.write(dir.resolve(GENERATION_CONFIG), generationConfig(config));
        ConfigJson.write(dir.resolve(CONFIG), config.toJson(layout));
    }

    private static ObjectNode generationConfig(LlamaConfig c) {
        ObjectNode g = ConfigJson.MAPPER.createObjectNode();
        if (c.bosTokenId() != null) {
            g.put("bos_token_id", c.bosTokenId());
        }
        if (c.eosTokenIds().length == 1) {
            g.put("eos_token_id", c.eosTokenIds()[0]);
        }
        if (c.padTokenId() != null) {
            g.put("pad_token_id", c.padTokenId());
        }
        g.put("do_sample", false);
        return g;
    }

    private static void requireDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new CheckpointException(
                    dir, null, Files.exists(dir) ? "is not a directory" : "model directory not found");
        }
    }
}
