package ai.posemesh.service.eval;

import io.quarkus.test.common.QuarkusTestResourceLifecycleManager;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;

/**
 * Tiny suites for the tests (well under a minute of model time on 2 cores): perplexity at 16 and 32 tokens over two
 * short documents, passkey at 384 tokens (the byte-level prompt needs ≈ 260 without filler), two trials, two depth bins.
 */
public class TestSuite implements QuarkusTestResourceLifecycleManager {

    static final Path CORPUS = Path.of("target/test-data/books.jsonl").toAbsolutePath();

    @Override
    public Map<String, String> start() {
        try {
            TestModels.corpus(CORPUS, 3, 200);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return Map.of(
                "posemesh.eval.suite.perplexity.lengths", "16,32",
                "posemesh.eval.suite.perplexity.corpus", CORPUS.toString(),
                "posemesh.eval.suite.perplexity.docs", "2",
                "posemesh.eval.suite.passkey.lengths", "384",
                "posemesh.eval.suite.passkey.trials", "2",
                "posemesh.eval.suite.passkey.depth-bins", "2");
    }

    @Override
    public void stop() {}
}
