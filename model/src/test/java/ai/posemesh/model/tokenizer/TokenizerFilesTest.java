package ai.posemesh.model.tokenizer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.CheckpointException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TokenizerFilesTest {

    @Test
    void inspectsTheByteLevelTokenizer(@TempDir Path dir) throws Exception {
        ByteLevelTokenizer.write(dir, 512);
        TokenizerFiles.Specials s = TokenizerFiles.inspect(dir.resolve("tokenizer.json"));
        assertEquals(
                new TokenizerFiles.Specials(
                        ByteLevelTokenizer.VOCAB_SIZE,
                        ByteLevelTokenizer.BOS,
                        ByteLevelTokenizer.EOS,
                        ByteLevelTokenizer.PAD),
                s);
    }

    @Test
    void installsATokenizerWithItsConfig(@TempDir Path tmp) throws Exception {
        Path src = Files.createDirectories(tmp.resolve("src"));
        ByteLevelTokenizer.write(src, 512);
        Path dst = Files.createDirectories(tmp.resolve("dst"));
        TokenizerFiles.install(src.resolve("tokenizer.json"), dst, 1024);
        assertEquals(Files.readString(src.resolve("tokenizer.json")), Files.readString(dst.resolve("tokenizer.json")));
        assertTrue(Files.readString(dst.resolve("tokenizer_config.json")).contains("\"model_max_length\" : 1024"));
        try (TextTokenizer t = TextTokenizer.load(dst)) {
            assertEquals(ByteLevelTokenizer.BOS, t.encode("a", true)[0]);
        }
    }

    @Test
    void refusesATokenizerWithoutBosAndEos(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("tokenizer.json");
        Files.writeString(f, "{\"model\":{\"type\":\"BPE\",\"vocab\":{\"a\":0,\"b\":1}},\"added_tokens\":[]}");
        CheckpointException e = assertThrows(CheckpointException.class, () -> TokenizerFiles.inspect(f));
        assertTrue(e.getMessage().contains("added_tokens") && e.getMessage().contains("<s>"), e.getMessage());
    }
}
