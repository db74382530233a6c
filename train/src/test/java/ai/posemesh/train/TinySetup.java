package ai.posemesh.train;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.ByteLevelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;

/** A tiny byte-level base model and a small, learnable corpus, for training tests. */
public final class TinySetup {

    private TinySetup() {}

    public static Path base(Path dir, int maxPos) throws IOException {
        LlamaConfig c = new LlamaConfig(
                ByteLevelTokenizer.VOCAB_SIZE,
                64,
                176,
                2,
                4,
                2,
                16,
                maxPos,
                1e-6,
                true,
                false,
                false,
                ByteLevelTokenizer.BOS,
                new int[] {ByteLevelTokenizer.EOS},
                ByteLevelTokenizer.PAD,
                "float32",
                RopeParameters.of("default", 10000.0, Map.of()));
        try (NDManager m = Engines.newManager();
                Llama model = Llama.random(c, 5, m.newSubManager())) {
            HfCheckpoint.save(model, dir, DataType.FLOAT32);
            ByteLevelTokenizer.write(dir, maxPos);
        }
        return dir;
    }

    /** Documents of simple, repetitive English: a tiny model's loss falls fast on it. */
    public static Path corpus(Path file, int docs, int sentencesPerDoc) throws IOException {
        String[] subjects = {"The cat", "A dog", "The bird", "My friend", "The teacher"};
        String[] verbs = {"sees", "likes", "finds", "helps", "calls"};
        String[] objects = {"the ball.", "a tree.", "the house.", "a book.", "the river."};
        Random r = new Random(1);
        List<String> lines = new ArrayList<>();
        for (int d = 0; d < docs; d++) {
            StringBuilder sb = new StringBuilder();
            for (int s = 0; s < sentencesPerDoc; s++) {
                sb.append(subjects[r.nextInt(5)])
                        .append(' ')
                        .append(verbs[r.nextInt(5)])
                        .append(' ')
                        .append(objects[r.nextInt(5)])
                        .append(' ');
            }
            lines.add("{\"id\":\"doc-" + d + "\",\"source\":\"test\",\"license\":\"CC0\",\"text\":\""
                    + sb.toString().trim() + "\"}");
        }
        Files.write(file, lines);
        return file;
    }
}
