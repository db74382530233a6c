package ai.posemesh.model.tokenizer;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The tokenizer files of an HF directory: reading the vocabulary size and special-token ids a model config needs from
 * any {@code tokenizer.json}, and writing the {@code tokenizer_config.json} that lets transformers' AutoTokenizer load
 * it.
 */
public final class TokenizerFiles {

    /** What a model config needs to know about a tokenizer: ids run 0..vocabSize−1. */
    public record Specials(int vocabSize, int bos, int eos, int pad) {}

    private TokenizerFiles() {}

    /**
     * Reads {@code tokenizer.json}: the vocabulary size (largest id in model.vocab or added_tokens, plus one) and the
     * ids of {@code <s>} (BOS), {@code </s>} (EOS) and {@code <pad>} (−1 when absent); BOS and EOS are required.
     */
    public static Specials inspect(Path tokenizerJson) {
        JsonNode root;
        try {
            root = ConfigJson.MAPPER.readTree(tokenizerJson.toFile());
        } catch (IOException e) {
            throw new CheckpointException(tokenizerJson, null, "is not readable JSON: " + e.getMessage(), e);
        }
        int max = -1;
        for (JsonNode id :
                (Iterable<JsonNode>) () -> root.path("model").path("vocab").elements()) {
            max = Math.max(max, id.asInt());
        }
        int bos = -1;
        int eos = -1;
        int pad = -1;
        for (JsonNode t : root.path("added_tokens")) {
            int id = t.path("id").asInt();
            max = Math.max(max, id);
            switch (t.path("content").asText()) {
                case "<s>" -> bos = id;
                case "</s>" -> eos = id;
                case "<pad>" -> pad = id;
                default -> {}
            }
        }
        if (max < 0) {
            throw new CheckpointException(tokenizerJson, "model.vocab", "has no tokens");
        }
        if (bos < 0 || eos < 0) {
            throw new CheckpointException(
                    tokenizerJson, "added_tokens", "needs the special tokens <s> (BOS) and </s> (EOS)");
        }
        return new Specials(max + 1, bos, eos, pad);
    }

    /** Copies a tokenizer.json into {@code dir} and writes its tokenizer_config.json. */
    public static Specials install(Path tokenizerJson, Path dir, int modelMaxLength) throws IOException {
        Specials s = inspect(tokenizerJson);
        Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
        writeConfig(dir, s.pad() >= 0, modelMaxLength);
        return s;
    }

    /** tokenizer_config.json for a tokenizer with {@code <s>}, {@code </s>} (and {@code <pad>}). */
    static void writeConfig(Path dir, boolean hasPad, int modelMaxLength) throws IOException {
        ObjectNode cfg = ConfigJson.MAPPER.createObjectNode();
        cfg.put("tokenizer_class", "PreTrainedTokenizerFast");
        cfg.put("bos_token", "<s>");
        cfg.put("eos_token", "</s>");
        if (hasPad) {
            cfg.put("pad_token", "<pad>");
        }
        cfg.put("add_bos_token", true);
        cfg.put("add_eos_token", false);
        cfg.put("model_max_length", modelMaxLength);
        cfg.put("clean_up_tokenization_spaces", false);
        ConfigJson.write(dir.resolve("tokenizer_config.json"), cfg);
    }
}
