package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.corpus.Document;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.InProcessBackend;
import ai.posemesh.evaluation.Progress;
import ai.posemesh.evaluation.RemoteBackend;
import ai.posemesh.evaluation.passkey.PasskeyEval;
import ai.posemesh.evaluation.passkey.PasskeyReport;
import ai.posemesh.evaluation.passkey.PasskeySpec;
import ai.posemesh.evaluation.passkey.Trial;
import ai.posemesh.evaluation.perplexity.PerplexityEval;
import ai.posemesh.evaluation.perplexity.PerplexityReport;
import ai.posemesh.evaluation.perplexity.PerplexityResult;
import ai.posemesh.evaluation.perplexity.PerplexitySpec;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.LoadModelRequest;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The evaluation library's suites on this service ({@link RemoteBackend}: a plain grpc-java channel to the test port,
 * as the CLI's {@code --endpoint} and eval-service connect) give the numbers they give in-process
 * ({@link InProcessBackend}) on the committed tiny base: perplexity within 1e-6 relative (it is in fact equal) and the
 * same passkey trials, answer for answer.
 */
@QuarkusTest
class EvalSuitesTest {

    static final String NAME = "tiny-base";
    static final Path TINY_BASE = Path.of("").toAbsolutePath().getParent().resolve("models/tiny-base");

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    static InProcessBackend local;
    static List<Document> docs;

    @BeforeAll
    static void open() throws Exception {
        local = InProcessBackend.load(TINY_BASE); // prefill chunk 512, the service's in tests
        String text;
        try (var in = Objects.requireNonNull(EvalSuitesTest.class.getResourceAsStream("/eval/heldout.txt"))) {
            text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        docs = new ArrayList<>();
        String[] ps = text.split("\n\n");
        for (int i = 0; i < ps.length; i++) {
            docs.add(new Document("p" + i, "heldout.txt", "unknown", ps[i]));
        }
    }

    @AfterAll
    static void close() {
        local.close();
    }

    @BeforeEach
    void load() {
        try {
            inference.loadModel(LoadModelRequest.newBuilder()
                    .setName(NAME)
                    .setUri(TINY_BASE.toUri().toString())
                    .build());
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
        }
    }

    /** Other test classes share this service and may rely on which model is the first loaded: leave none behind. */
    @AfterEach
    void unload() {
        inference.unloadModel(UnloadModelRequest.newBuilder().setModel(NAME).build());
    }

    static RemoteBackend remote() {
        return RemoteBackend.connect("localhost:19082", NAME);
    }

    @Test
    void theServiceIsTheSameModel() {
        try (RemoteBackend remote = remote()) {
            assertEquals(local.model(), remote.model());
            assertEquals(256, remote.sequenceLimit());
            String s = "The pass key is 12345. Remember it.";
            assertArrayEquals(local.encode(s, true), remote.encode(s, true));
            assertArrayEquals(local.encode(s, false), remote.encode(s, false));
        }
    }

    @Test
    void perplexityIsTheSameRemotely() {
        try (RemoteBackend remote = remote()) {
            for (boolean truncate : new boolean[] {false, true}) {
                PerplexitySpec spec = new PerplexitySpec(new int[] {64, 128, 256}, 0, 4, 100, 400, truncate);
                PerplexityReport in = new PerplexityEval(local).run(docs, spec, Progress.NONE);
                PerplexityReport out = new PerplexityEval(remote).run(docs, spec, Progress.NONE);
                assertEquals(in.docIds(), out.docIds());
                assertEquals(4, in.docIds().size());
                for (int i = 0; i < 3; i++) {
                    PerplexityResult a = in.results().get(i);
                    PerplexityResult b = out.results().get(i);
                    assertEquals(a.scoredTokens(), b.scoredTokens());
                    assertEquals(a.windows(), b.windows());
                    assertEquals(a.ppl(), b.ppl(), 1e-6 * a.ppl(), a + " vs " + b);
                    assertTrue(a.ppl() > 1 && a.ppl() < 200, a.toString());
                }
                assertEquals(in.toJson("heldout"), out.toJson("heldout"), "the same report, byte for byte");
            }
            // past the service's window: refused before the first request, naming the setting
            EvalException past = assertThrows(
                    EvalException.class,
                    () -> new PerplexityEval(remote)
                            .run(docs, PerplexitySpec.withLengths(new int[] {128, 512}), Progress.NONE));
            assertEquals("lengths", past.field());
            assertTrue(past.getMessage().startsWith("512 > 256"), past.getMessage());
        }
    }

    @Test
    void passkeyIsTheSameRemotely() {
        try (RemoteBackend remote = remote()) {
            PasskeySpec spec = new PasskeySpec(new int[] {128, 256}, 6, 3);
            List<Trial> in = new ArrayList<>();
            List<Trial> out = new ArrayList<>();
            PasskeyReport a = new PasskeyEval(local).run(spec, in::add, Progress.NONE);
            PasskeyReport b = new PasskeyEval(remote).run(spec, out::add, Progress.NONE);
            assertEquals(12, in.size());
            assertEquals(in, out, "the same keys, depths, prompts, answers and verdicts");
            assertEquals(a.toJson(), b.toJson());
            assertTrue(a.results().get(0).passed() >= 5, "the base retrieves within its window: " + a.results());
            EvalException past = assertThrows(
                    EvalException.class, () -> new PasskeyEval(remote).check(new PasskeySpec(new int[] {250}, 1, 0)));
            assertTrue(past.getMessage().contains("+ 10 generated > 256"), past.getMessage());
        }
    }

    @Test
    void anUnknownModelIsNotFound() {
        StatusRuntimeException e =
                assertThrows(StatusRuntimeException.class, () -> RemoteBackend.connect("localhost:19082", "nope"));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
}
