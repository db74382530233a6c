package ai.posemesh.model.tokenizer;

import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The tokenizer of posemesh's tiny models, written as an ordinary {@code tokenizer.json} so tiny checkpoints are
 * complete HF directories: ids 0..255 are the bytes themselves (GPT-2 byte-level alphabet, no merges), then
 * {@code <s>} = 256 (BOS, prepended by the post-processor), {@code </s>} = 257 (EOS), {@code <pad>} = 258.
 */
public final class ByteLevelTokenizer {

    public static final int BOS = 256;
    public static final int EOS = 257;
    public static final int PAD = 258;
    public static final int VOCAB_SIZE = 259;
    static final String[] SPECIALS = {"<s>", "</s>", "<pad>"};

    private ByteLevelTokenizer() {}

    /** GPT-2's bytes_to_unicode: every byte maps to a printable code point, so BPE vocabularies are plain strings. */
    static String[] byteAlphabet() {
        List<Integer> bs = new ArrayList<>();
        for (int b = '!'; b <= '~'; b++) {
            bs.add(b);
        }
        for (int b = 0xA1; b <= 0xAC; b++) {
            bs.add(b);
        }
        for (int b = 0xAE; b <= 0xFF; b++) {
            bs.add(b);
        }
        String[] out = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            int cp = bs.contains(b) ? b : 256 + n++;
            out[b] = new String(Character.toChars(cp));
        }
        return out;
    }

    /** Writes tokenizer.json and tokenizer_config.json into {@code dir}. */
    public static void write(Path dir, int modelMaxLength) throws IOException {
        ObjectNode root = ConfigJson.MAPPER.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        for (int i = 0; i < SPECIALS.length; i++) {
            added.addObject()
                    .put("id", BOS + i)
                    .put("content", SPECIALS[i])
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");
        root.set("pre_tokenizer", byteLevel());
        ObjectNode post = root.putObject("post_processor");
        post.put("type", "TemplateProcessing");
        ArrayNode single = post.putArray("single");
        single.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        single.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        ArrayNode pair = post.putArray("pair");
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 0);
        pair.addObject().putObject("Sequence").put("id", "A").put("type_id", 0);
        pair.addObject().putObject("SpecialToken").put("id", "<s>").put("type_id", 1);
        pair.addObject().putObject("Sequence").put("id", "B").put("type_id", 1);
        ObjectNode bos = post.putObject("special_tokens").putObject("<s>");
        bos.put("id", "<s>");
        bos.putArray("ids").add(BOS);
        bos.putArray("tokens").add("<s>");
        root.set("decoder", byteLevel());
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        ObjectNode vocab = model.putObject("vocab");
        String[] alphabet = byteAlphabet();
        for (int b = 0; b < 256; b++) {
            vocab.put(alphabet[b], b);
        }
        for (int i = 0; i < SPECIALS.length; i++) {
            vocab.put(SPECIALS[i], BOS + i);
        }
        model.putArray("merges");
        ConfigJson.write(dir.resolve("tokenizer.json"), root);

        TokenizerFiles.writeConfig(dir, true, modelMaxLength);
    }

    private static ObjectNode byteLevel() {
        ObjectNode n = ConfigJson.MAPPER.createObjectNode();
        n.put("type", "ByteLevel");
        n.put("add_prefix_space", false);
        n.put("trim_offsets", false);
        n.put("use_regex", false);
        return n;
    }
}
