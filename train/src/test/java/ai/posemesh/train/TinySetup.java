package ai.posemesh.train;

import ai.posemesh.testkit.TinyModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** A tiny byte-level base model and a small, learnable corpus, for training tests. */
public final class TinySetup {

    private TinySetup() {}

    /** d=64 (4 heads over 2 KV heads, head dim 16), 2 layers, tied embeddings; weights at the library's default std. */
    public static Path base(Path dir, int maxPos) throws IOException {
        return TinyModels.write(dir, TinyModels.llama(maxPos).hidden(64).tied().config(), 5);
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
