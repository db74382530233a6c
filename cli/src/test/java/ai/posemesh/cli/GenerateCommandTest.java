package ai.posemesh.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.cli.PoseCommandTest.Run;
import ai.posemesh.proto.inference.v1.Final;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.PrefillProgress;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.Token;
import com.google.protobuf.Any;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.Server;
import io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.StatusProto;
import io.grpc.stub.StreamObserver;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code pose generate} against a scripted Inference service on a real socket: what is sent, what is shown, how
 * failures read. The real inference-service is exercised by {@code tools/e2e_generate.sh}.
 */
class GenerateCommandTest {

    @TempDir
    Path tmp;

    private Server server;
    private String endpoint;
    private final Fake fake = new Fake();

    @BeforeEach
    void start() throws Exception {
        server = NettyServerBuilder.forPort(0).addService(fake).build().start();
        endpoint = "localhost:" + server.getPort();
    }

    @AfterEach
    void stop() throws Exception {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    /** Answers from a script; records what it received. */
    static final class Fake extends InferenceGrpc.InferenceImplBase {
        final List<GenerateRequest> requests = new CopyOnWriteArrayList<>();
        final List<List<GenerateUploadRequest>> uploads = new CopyOnWriteArrayList<>();
        /** What the next call answers; null = never answer (the client's deadline or cancel ends it). */
        volatile List<GenerateResponse> script = List.of();

        volatile io.grpc.StatusRuntimeException failure;
        final CountDownLatch cancelled = new CountDownLatch(1);

        @Override
        public void generate(GenerateRequest request, StreamObserver<GenerateResponse> out) {
            requests.add(request);
            answer(out);
        }

        @Override
        public StreamObserver<GenerateUploadRequest> generateUpload(StreamObserver<GenerateResponse> out) {
            List<GenerateUploadRequest> parts = new ArrayList<>();
            uploads.add(parts);
            return new StreamObserver<>() {
                boolean answered;

                @Override
                public void onNext(GenerateUploadRequest r) {
                    parts.add(r);
                    if (r.hasEnd() && !answered) {
                        answered = true;
                        answer(out);
                    }
                }

                @Override
                public void onError(Throwable t) {}

                @Override
                public void onCompleted() {
                    if (!answered) {
                        answered = true;
                        answer(out);
                    }
                }
            };
        }

        private void answer(StreamObserver<GenerateResponse> out) {
            if (failure != null) {
                out.onError(failure);
                return;
            }
            if (script == null) {
                Context.current().addListener(c -> cancelled.countDown(), Runnable::run);
                return;
            }
            script.forEach(out::onNext);
            out.onCompleted();
        }
    }

    static GenerateResponse prefill(int done, int total) {
        return GenerateResponse.newBuilder()
                .setPrefill(PrefillProgress.newBuilder().setTokensDone(done).setTokensTotal(total))
                .build();
    }

    static GenerateResponse token(int id, String text) {
        return GenerateResponse.newBuilder()
                .setToken(Token.newBuilder().setId(id).setText(text).setLogprob(-1))
                .build();
    }

    static GenerateResponse fin(FinishReason reason, int prompt, int generated) {
        return GenerateResponse.newBuilder()
                .setFinal(Final.newBuilder()
                        .setFinishReason(reason)
                        .setPromptTokens(prompt)
                        .setGeneratedTokens(generated)
                        .setTimeToFirstTokenMs(12.5)
                        .setPrefillTokensPerSecond(1234.5)
                        .setDecodeTokensPerSecond(56.78))
                .build();
    }

    private Run generate(String... args) {
        List<String> a = new ArrayList<>(List.of("generate", "--endpoint", endpoint));
        a.addAll(List.of(args));
        return PoseCommandTest.run(a.toArray(String[]::new));
    }

    @Test
    void streamsTokensToStdoutAndProgressAndSummaryToStderr() {
        fake.script = List.of(
                prefill(0, 6),
                prefill(4, 6),
                prefill(6, 6),
                token(72, "Hel"),
                token(108, "lo"),
                token(195, ""),
                token(182, "ö!"),
                fin(FinishReason.FINISH_REASON_LENGTH, 6, 4));
        Run r = generate(
                "--model",
                "tiny",
                "--prompt",
                "Hello",
                "--max-new-tokens",
                "4",
                "--temperature",
                "0",
                "--stop",
                "\n\n",
                "--stop",
                "END");
        assertEquals(0, r.code(), r.err());
        assertEquals("Helloö!", r.out(), "exactly the generated text");
        assertTrue(r.err().contains("prefill [") && r.err().contains("6/6 tokens"), r.err());
        assertTrue(
                r.err()
                        .contains("finish length: prompt 6 tokens, generated 4; time to first token 13 ms; "
                                + "prefill 1,235 tok/s, decode 56.8 tok/s"),
                r.err());

        GenerateRequest sent = fake.requests.get(0);
        assertEquals("tiny", sent.getModel());
        assertEquals("Hello", sent.getPrompt().getText());
        SamplingParams s = sent.getSampling();
        assertEquals(4, s.getMaxNewTokens());
        assertTrue(s.hasTemperature() && s.getTemperature() == 0.0, "0 is sent (greedy), not left unset");
        assertFalse(s.hasTopK() || s.hasTopP() || s.hasSeed(), "unset options take the service's defaults: " + s);
        assertEquals(List.of("\n\n", "END"), s.getStopList());
        assertFalse(s.getIgnoreEos());
        assertTrue(fake.uploads.isEmpty(), "a small prompt goes whole");
    }

    @Test
    void stopSequenceAndTokenIds() throws Exception {
        fake.script = List.of(
                token(1, "a"),
                GenerateResponse.newBuilder()
                        .setFinal(Final.newBuilder()
                                .setFinishReason(FinishReason.FINISH_REASON_STOP)
                                .setStopSequence("\n\n")
                                .setPromptTokens(3)
                                .setGeneratedTokens(1))
                        .build());
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "256 72\n105\n");
        Run r = generate(
                "--prompt-tokens-file",
                ids.toString(),
                "--seed",
                "7",
                "--top-k",
                "5",
                "--top-p",
                "0.9",
                "--ignore-eos");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.err().contains("finish stop (\"\\n\\n\"): prompt 3 tokens, generated 1"), r.err());
        GenerateRequest sent = fake.requests.get(0);
        assertEquals(List.of(256, 72, 105), sent.getPrompt().getTokens().getIdsList());
        assertEquals("", sent.getModel(), "no --model: the service's default");
        assertEquals(7, sent.getSampling().getSeed());
        assertEquals(5, sent.getSampling().getTopK());
        assertEquals(0.9, sent.getSampling().getTopP());
        assertTrue(sent.getSampling().getIgnoreEos());
    }

    @Test
    void aLargePromptIsUploadedInChunksThatConcatenateToIt() throws Exception {
        fake.script = List.of(prefill(0, 10), token(1, "x"), fin(FinishReason.FINISH_REASON_EOS, 10, 1));
        String prompt = bigText(GenerateClient.UPLOAD_TEXT_BYTES + 12345, new Random(3));
        Path file = Files.writeString(tmp.resolve("p.txt"), prompt, StandardCharsets.UTF_8);
        Run r = generate("--prompt-file", file.toString(), "--model", "m", "--max-new-tokens", "1");
        assertEquals(0, r.code(), r.err());
        assertEquals("x", r.out());
        assertTrue(fake.requests.isEmpty(), "over 1 MiB: GenerateUpload, not Generate");
        List<GenerateUploadRequest> parts = fake.uploads.get(0);
        assertTrue(parts.get(0).hasHeader(), "the header first");
        assertEquals("m", parts.get(0).getHeader().getModel());
        assertEquals(1, parts.get(0).getHeader().getSampling().getMaxNewTokens());
        assertTrue(parts.get(parts.size() - 1).hasEnd(), "then end");
        StringBuilder joined = new StringBuilder();
        for (GenerateUploadRequest p : parts.subList(1, parts.size() - 1)) {
            assertTrue(p.hasChunk() && p.getChunk().hasText(), p.getPartCase().toString());
            assertTrue(
                    p.getChunk().getText().getBytes(StandardCharsets.UTF_8).length <= GenerateClient.CHUNK_TEXT_BYTES);
            joined.append(p.getChunk().getText());
        }
        assertEquals(prompt, joined.toString(), "the chunks are the prompt");
        assertTrue(parts.size() - 2 >= 5, "several chunks: " + (parts.size() - 2));
        assertTrue(
                r.err()
                        .contains("uploading the prompt ("
                                + String.format("%,d", prompt.getBytes(StandardCharsets.UTF_8).length)
                                + " bytes of text) in " + (parts.size() - 2)
                                + " chunks"),
                r.err());
        assertTrue(r.err().contains("finish eos:"), r.err());
    }

    @Test
    void uploadOnRequestAndTokenIdsInChunks() throws Exception {
        fake.script = List.of(fin(FinishReason.FINISH_REASON_LENGTH, 3, 0));
        assertEquals(0, generate("--prompt", "hi", "--upload").code());
        List<GenerateUploadRequest> parts = fake.uploads.get(0);
        assertEquals(3, parts.size());
        assertEquals("hi", parts.get(1).getChunk().getText());

        int n = GenerateClient.UPLOAD_IDS + 5;
        StringBuilder ids = new StringBuilder();
        for (int i = 0; i < n; i++) {
            ids.append(i % 259).append(i % 20 == 19 ? '\n' : ' ');
        }
        Path file = Files.writeString(tmp.resolve("ids.txt"), ids);
        assertEquals(0, generate("--prompt-tokens-file", file.toString()).code());
        List<Integer> got = new ArrayList<>();
        for (GenerateUploadRequest p : fake.uploads.get(1)) {
            if (p.hasChunk()) {
                assertTrue(p.getChunk().getTokens().getIdsCount() <= GenerateClient.CHUNK_IDS);
                got.addAll(p.getChunk().getTokens().getIdsList());
            }
        }
        assertEquals(n, got.size());
        for (int i = 0; i < n; i++) {
            assertEquals(i % 259, got.get(i));
        }
    }

    @Test
    void aRejectedRequestPrintsStatusReasonAndMetadataAndExits2() {
        fake.failure = StatusProto.toStatusRuntimeException(com.google.rpc.Status.newBuilder()
                .setCode(Code.OUT_OF_RANGE_VALUE)
                .setMessage("prompt (2000 tokens) + max_new_tokens (16) exceed the model's context (1024)")
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setDomain("inference.posemesh.ai")
                        .setReason("CONTEXT_LENGTH_EXCEEDED")
                        .putMetadata("prompt_tokens", "2000")
                        .putMetadata("max_new_tokens", "16")
                        .putMetadata("max_context", "1024")
                        .build()))
                .build());
        Run r = generate("--prompt", "x".repeat(100));
        assertEquals(2, r.code(), r.err());
        assertEquals(
                "pose generate: error: OUT_OF_RANGE: prompt (2000 tokens) + max_new_tokens (16) exceed the "
                        + "model's context (1024); reason CONTEXT_LENGTH_EXCEEDED prompt_tokens=2000 max_new_tokens=16 "
                        + "max_context=1024",
                r.err().strip());
        assertEquals("", r.out());

        fake.failure = io.grpc.Status.RESOURCE_EXHAUSTED
                .withDescription("token budget")
                .asRuntimeException();
        Run busy = generate("--prompt", "x");
        assertEquals(1, busy.code(), "a busy service may answer later: exit 1");
        assertTrue(
                busy.err()
                        .startsWith("pose generate: error: RESOURCE_EXHAUSTED: token budget; inference-service at "
                                + endpoint),
                busy.err());
    }

    @Test
    void aDeadlineCancelsTheCallOnTheService() throws Exception {
        fake.script = null;
        Run r = generate("--prompt", "x", "--deadline", "0.5");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("pose generate: error: DEADLINE_EXCEEDED"), r.err());
        assertTrue(fake.cancelled.await(5, TimeUnit.SECONDS), "the service saw the call end");
    }

    @Test
    void aStreamWithoutFinalIsAnError() {
        fake.script = List.of(token(1, "a"));
        Run r = generate("--prompt", "x");
        assertEquals(1, r.code());
        assertTrue(r.err().contains("ended without a Final message"), r.err());
    }

    @Test
    void anUnreachableServiceIsExitOne() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        Run r = PoseCommandTest.run("generate", "--endpoint", "localhost:" + port, "--prompt", "x");
        assertEquals(1, r.code(), r.err());
        assertTrue(r.err().startsWith("pose generate: error: UNAVAILABLE"), r.err());
        assertTrue(r.err().contains("inference-service at localhost:" + port), r.err());
    }

    @Test
    void usageErrorsNameTheFlagAndNeedNoServer() throws Exception {
        Path f = Files.writeString(tmp.resolve("p.txt"), "hi");
        String e = "localhost:1"; // nothing listens: these never get that far
        Run missing = PoseCommandTest.run("generate", "--endpoint", e);
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("--prompt") && missing.err().contains("--prompt-file"), missing.err());
        Run both = PoseCommandTest.run("generate", "--endpoint", e, "--prompt", "a", "--prompt-file", f.toString());
        assertEquals(2, both.code());
        assertTrue(
                both.err().contains("--prompt")
                        && both.err().contains("--prompt-file")
                        && both.err().contains("mutually exclusive"),
                both.err());
        for (String[] bad : new String[][] {
            {"--temperature", "150"},
            {"--temperature", "-1"},
            {"--temperature", "NaN"},
            {"--temperature", "hot"},
            {"--top-p", "0"},
            {"--top-p", "1.5"},
            {"--top-k", "-1"},
            {"--max-new-tokens", "-2"},
            {"--seed", "-1"},
            {"--stop", ""},
            {"--deadline", "0"}
        }) {
            Run r = PoseCommandTest.run("generate", "--endpoint", e, "--prompt", "a", bad[0], bad[1]);
            assertEquals(2, r.code(), String.join(" ", bad) + ": " + r.err());
            assertTrue(r.err().contains(bad[0]), String.join(" ", bad) + ": " + r.err());
            assertFalse(r.err().contains("UNAVAILABLE"), "rejected before any call: " + r.err());
        }
        Run noEndpoint = PoseCommandTest.run("generate", "--prompt", "a");
        assertEquals(2, noEndpoint.code());
        assertTrue(noEndpoint.err().contains("--endpoint"), noEndpoint.err());
        PoseCommandTest.assertError(
                PoseCommandTest.run(
                        "generate",
                        "--endpoint",
                        e,
                        "--prompt-file",
                        tmp.resolve("nope.txt").toString()),
                "nope.txt",
                "file not found");
        Path ids = Files.writeString(tmp.resolve("ids.txt"), "1 2 x");
        PoseCommandTest.assertError(
                PoseCommandTest.run("generate", "--endpoint", e, "--prompt-tokens-file", ids.toString()),
                "ids.txt",
                "token 2 ('x') is not an integer id");
        Files.write(f, new byte[] {'a', (byte) 0xff});
        PoseCommandTest.assertError(
                PoseCommandTest.run("generate", "--endpoint", e, "--prompt-file", f.toString()),
                "p.txt",
                "not valid UTF-8");
        assertEquals(
                2,
                PoseCommandTest.run("generate", "--endpoint", "a:b", "--prompt", "x")
                        .code());
    }

    @Test
    void textChunksConcatenateToTheTextAndKeepCharactersWhole() {
        Random rnd = new Random(1);
        for (int trial = 0; trial < 200; trial++) {
            String text = bigText(rnd.nextInt(200), rnd);
            for (int max : new int[] {4, 5, 6, 7, 11, 64}) {
                checkChunks(text, max);
            }
        }
        String big = bigText(3_000_000, rnd);
        List<String> chunks = checkChunks(big, GenerateClient.CHUNK_TEXT_BYTES);
        assertTrue(chunks.size() >= 11, "3 MB in 256 KiB chunks: " + chunks.size());
        assertEquals(List.of(), GenerateClient.textChunks("", 16));
        // a pair that would straddle the limit moves whole to the next chunk
        assertEquals(List.of("abc", "\uD83D\uDE00"), GenerateClient.textChunks("abc\uD83D\uDE00", 6));
        assertEquals(10, GenerateClient.utf8Length("a\u00e9\u20ac\uD83D\uDE00"), "1 + 2 + 3 + 4 bytes");
        assertEquals(9, GenerateClient.utf8Length("a\u00e9\u20ac\uD83D"), "a lone surrogate counts 3");
    }

    private static List<String> checkChunks(String text, int max) {
        List<String> chunks = GenerateClient.textChunks(text, max);
        assertEquals(text, String.join("", chunks));
        for (String c : chunks) {
            assertFalse(c.isEmpty());
            int bytes = c.getBytes(StandardCharsets.UTF_8).length;
            assertTrue(bytes <= max, bytes + " > " + max);
            assertFalse(Character.isHighSurrogate(c.charAt(c.length() - 1)), "ends inside a pair");
            assertFalse(Character.isLowSurrogate(c.charAt(0)), "starts inside a pair");
            assertEquals(bytes, GenerateClient.utf8Length(c));
        }
        return chunks;
    }

    /** About {@code bytes} UTF-8 bytes of ASCII, 2-, 3- and 4-byte characters (surrogate pairs) mixed. */
    static String bigText(int bytes, Random rnd) {
        String[] pieces = {
            "a", "Z", " ", "\n", "\u00e9", "\u00df", "\u20ac", "\u4e2d", "\uD83D\uDE00", "\uD834\uDD1E", "word "
        };
        StringBuilder b = new StringBuilder();
        int n = 0;
        while (n < bytes) {
            String p = pieces[rnd.nextInt(pieces.length)];
            b.append(p);
            n += p.getBytes(StandardCharsets.UTF_8).length;
        }
        return b.toString();
    }
}
