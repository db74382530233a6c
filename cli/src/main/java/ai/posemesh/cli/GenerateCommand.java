package ai.posemesh.cli;

import ai.posemesh.proto.inference.v1.Final;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.GenerateUploadRequest;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.PromptChunk;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.proto.inference.v1.UploadEnd;
import ai.posemesh.proto.inference.v1.UploadHeader;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "generate",
        mixinStandardHelpOptions = true,
        description = {
            "Generate text with a model served by inference-service (`pose serve`), over gRPC (plaintext).",
            "Generated text goes to stdout as it arrives; prefill progress (tokens done/total, tokens/s) and a final "
                    + "summary (finish reason, prompt and generated tokens, time to first token, prefill and decode "
                    + "tokens/s) go to stderr.",
            "Prompts over 1 MiB of UTF-8 text (or 262,144 token ids) are uploaded in chunks (GenerateUpload); the "
                    + "service tokenizes the whole text once, so chunking never changes the tokens.",
            "Exit 0 when generation ends (length, stop sequence, end of sequence); 2 when the service rejects the "
                    + "request (INVALID_ARGUMENT, OUT_OF_RANGE such as a prompt beyond the model's context, "
                    + "NOT_FOUND, FAILED_PRECONDITION), printed as `error: STATUS: description; reason R key=value...`;"
                    + " 1 for other failures (unreachable, deadline, RESOURCE_EXHAUSTED). Ctrl-C cancels the request "
                    + "(the service frees its slot at once)."
        })
final class GenerateCommand implements java.util.concurrent.Callable<Integer> {

    /** inference-service's gRPC port, used when --endpoint names only a host. */
    static final int DEFAULT_PORT = 9082;
    /** Text prompts longer than this (UTF-8 bytes) go through GenerateUpload (gRPC's default message limit: 4 MiB). */
    static final int UPLOAD_TEXT_BYTES = 1 << 20;
    /** UTF-8 bytes per uploaded text chunk. */
    static final int CHUNK_TEXT_BYTES = 256 << 10;
    /** Token-id prompts with more ids than this go through GenerateUpload (an id takes up to 5 bytes). */
    static final int UPLOAD_IDS = 256 << 10;
    /** Token ids per uploaded chunk. */
    static final int CHUNK_IDS = 64 << 10;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--endpoint",
            required = true,
            paramLabel = "HOST:PORT",
            description = "inference-service's gRPC address (port " + DEFAULT_PORT + " when omitted).")
    String endpoint;

    @Option(
            names = "--model",
            paramLabel = "NAME",
            description = "The served model's name (default: the service's only or first model).")
    String model;

    @ArgGroup(exclusive = true, multiplicity = "1")
    PromptInput prompt;

    static final class PromptInput {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "The prompt text (BOS is added).")
        String text;

        @Option(names = "--prompt-file", paramLabel = "FILE", description = "A UTF-8 prompt file; - reads stdin.")
        Path file;

        @Option(
                names = "--prompt-tokens-file",
                paramLabel = "FILE",
                description = "Whitespace-separated token ids, sent as they are (no BOS added).")
        Path tokensFile;
    }

    @Option(
            names = "--max-new-tokens",
            paramLabel = "N",
            description = "Tokens to generate at most (service default 16).")
    Integer maxNewTokens;

    @Option(names = "--temperature", paramLabel = "T", description = "0 = greedy; in [0, 100] (service default 1.0).")
    Double temperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Keep the K most likely tokens (0 = off).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling, in (0, 1] (1 = off).")
    Double topP;

    @Option(names = "--seed", paramLabel = "S", description = "Sampling seed (>= 0; default: random).")
    Long seed;

    @Option(
            names = "--stop",
            paramLabel = "STR",
            description = "Stop when the generated text contains STR (not printed); repeatable.")
    List<String> stop = new ArrayList<>();

    @Option(names = "--ignore-eos", description = "Keep generating past the end-of-sequence token.")
    boolean ignoreEos;

    @Option(
            names = "--deadline",
            paramLabel = "SECONDS",
            description = "Give up (and cancel on the service) after this long; exit 1.")
    Double deadline;

    @Option(names = "--upload", description = "Upload the prompt in chunks (GenerateUpload) whatever its size.")
    boolean upload;

    @Override
    public Integer call() {
        SamplingParams sampling = sampling();
        if (deadline != null && !(deadline > 0 && Double.isFinite(deadline))) {
            throw bad("--deadline: must be a positive number of seconds, got " + deadline);
        }
        String target = Grpc.target(endpoint, DEFAULT_PORT);
        Request request = request(sampling);
        ManagedChannel channel = Grpc.channel(target);
        try {
            return new Stream(
                            target,
                            spec.commandLine().getOut(),
                            spec.commandLine().getErr())
                    .deadline(deadline)
                    .run(channel, request);
        } finally {
            Grpc.close(channel);
        }
    }

    /** The sampling options given (the others are left unset: the service's defaults apply), validated. */
    SamplingParams sampling() {
        SamplingParams.Builder s = SamplingParams.newBuilder();
        if (maxNewTokens != null) {
            if (maxNewTokens < 0) {
                throw bad("--max-new-tokens: must be >= 0, got " + maxNewTokens);
            }
            s.setMaxNewTokens(maxNewTokens);
        }
        if (temperature != null) {
            if (!(temperature >= 0 && temperature <= 100)) {
                throw bad("--temperature: must be in [0, 100] (0 = greedy), got " + temperature);
            }
            s.setTemperature(temperature);
        }
        if (topK != null) {
            if (topK < 0) {
                throw bad("--top-k: must be >= 0 (0 = off), got " + topK);
            }
            s.setTopK(topK);
        }
        if (topP != null) {
            if (!(topP > 0 && topP <= 1)) {
                throw bad("--top-p: must be in (0, 1] (1 = off), got " + topP);
            }
            s.setTopP(topP);
        }
        if (seed != null) {
            if (seed < 0) {
                throw bad("--seed: must be >= 0, got " + seed);
            }
            s.setSeed(seed);
        }
        for (String st : stop) {
            if (st.isEmpty()) {
                throw bad("--stop: a stop sequence cannot be empty");
            }
        }
        s.addAllStop(stop);
        s.setIgnoreEos(ignoreEos);
        return s.build();
    }

    private CommandLine.ParameterException bad(String message) {
        return new CommandLine.ParameterException(spec.commandLine(), message);
    }

    /** The prompt read, and how it travels: a text or ids; whole (Generate) or in chunks (GenerateUpload). */
    record Request(GenerateRequest whole, List<GenerateUploadRequest> upload, String what) {}

    Request request(SamplingParams sampling) {
        String name = model == null ? "" : model;
        if (prompt.tokensFile != null) {
            int[] ids = ids(prompt.tokensFile);
            String what = String.format("%,d token ids", ids.length);
            if (upload || ids.length > UPLOAD_IDS) {
                List<GenerateUploadRequest> parts = new ArrayList<>();
                parts.add(header(name, sampling));
                for (int[] c : idChunks(ids, CHUNK_IDS)) {
                    parts.add(GenerateUploadRequest.newBuilder()
                            .setChunk(PromptChunk.newBuilder().setTokens(tokenIds(c)))
                            .build());
                }
                parts.add(end());
                return new Request(null, parts, what);
            }
            return new Request(
                    GenerateRequest.newBuilder()
                            .setModel(name)
                            .setSampling(sampling)
                            .setPrompt(Prompt.newBuilder().setTokens(tokenIds(ids)))
                            .build(),
                    null,
                    what);
        }
        String text = prompt.text != null ? prompt.text : readPrompt(prompt.file);
        long bytes = utf8Length(text);
        String what = String.format("%,d bytes of text", bytes);
        if (upload || bytes > UPLOAD_TEXT_BYTES) {
            List<GenerateUploadRequest> parts = new ArrayList<>();
            parts.add(header(name, sampling));
            for (String c : textChunks(text, CHUNK_TEXT_BYTES)) {
                parts.add(GenerateUploadRequest.newBuilder()
                        .setChunk(PromptChunk.newBuilder().setText(c))
                        .build());
            }
            parts.add(end());
            return new Request(null, parts, what);
        }
        return new Request(
                GenerateRequest.newBuilder()
                        .setModel(name)
                        .setSampling(sampling)
                        .setPrompt(Prompt.newBuilder().setText(text))
                        .build(),
                null,
                what);
    }

    private static GenerateUploadRequest header(String model, SamplingParams sampling) {
        return GenerateUploadRequest.newBuilder()
                .setHeader(UploadHeader.newBuilder().setModel(model).setSampling(sampling))
                .build();
    }

    private static GenerateUploadRequest end() {
        return GenerateUploadRequest.newBuilder()
                .setEnd(UploadEnd.getDefaultInstance())
                .build();
    }

    private static TokenIds tokenIds(int[] ids) {
        TokenIds.Builder b = TokenIds.newBuilder();
        for (int id : ids) {
            b.addIds(id);
        }
        return b.build();
    }

    private static int[] ids(Path file) {
        long[] ids = ScoreCommand.readIds(file);
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] > Integer.MAX_VALUE) {
                throw new PoseCommand.CliException(file + ": token " + i + " (" + ids[i] + ") is not a token id");
            }
            out[i] = (int) ids[i];
        }
        return out;
    }

    private static String readPrompt(Path file) {
        if (!file.toString().equals("-")) {
            return ScoreCommand.readText(file);
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .decode(java.nio.ByteBuffer.wrap(System.in.readAllBytes()))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new PoseCommand.CliException("--prompt-file -: stdin is not valid UTF-8");
        } catch (IOException e) {
            throw new PoseCommand.CliException("--prompt-file -: stdin cannot be read: " + e.getMessage());
        }
    }

    /** The length of {@code s} in UTF-8 (a lone surrogate counts 3, as the most it can take). */
    static long utf8Length(String s) {
        long n = 0;
        for (int i = 0; i < s.length(); i++) {
            n += width(s, i);
            if (pair(s, i)) {
                i++;
            }
        }
        return n;
    }

    /**
     * {@code text} in consecutive pieces of at most {@code maxBytes} UTF-8 bytes each (>= 4), whose concatenation is
     * {@code text}: a piece never ends inside a surrogate pair, so every piece is valid text by itself.
     */
    static List<String> textChunks(String text, int maxBytes) {
        if (maxBytes < 4) {
            throw new IllegalArgumentException("maxBytes < 4: " + maxBytes);
        }
        List<String> chunks = new ArrayList<>();
        int start = 0;
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            int w = width(text, i);
            if (bytes + w > maxBytes) {
                chunks.add(text.substring(start, i));
                start = i;
                bytes = 0;
            }
            bytes += w;
            if (pair(text, i)) {
                i++;
            }
        }
        if (start < text.length()) {
            chunks.add(text.substring(start));
        }
        return chunks;
    }

    /** UTF-8 bytes of the character at i (4 for a surrogate pair starting there). */
    private static int width(String s, int i) {
        char c = s.charAt(i);
        return c < 0x80 ? 1 : c < 0x800 ? 2 : pair(s, i) ? 4 : 3;
    }

    private static boolean pair(String s, int i) {
        return Character.isHighSurrogate(s.charAt(i))
                && i + 1 < s.length()
                && Character.isLowSurrogate(s.charAt(i + 1));
    }

    /** {@code ids} in consecutive pieces of at most {@code max} ids. */
    static List<int[]> idChunks(int[] ids, int max) {
        List<int[]> chunks = new ArrayList<>();
        for (int from = 0; from < ids.length; from += max) {
            chunks.add(Arrays.copyOfRange(ids, from, Math.min(ids.length, from + max)));
        }
        return chunks;
    }

    /**
     * One call: responses are queued by gRPC's threads and shown by the calling thread (text to {@code out}, flushed
     * per token; progress and the summary to {@code err}). Ctrl-C cancels the call from a shutdown hook and waits
     * (briefly) for the summary to be printed.
     */
    static final class Stream {
        private static final Object COMPLETED = new Object();

        private final String target;
        private final PrintWriter out;
        private final PrintWriter err;
        private final StatusLine progress;
        private final BlockingQueue<Object> events = new LinkedBlockingQueue<>();
        private final AtomicReference<ClientCallStreamObserver<?>> call = new AtomicReference<>();
        private final AtomicBoolean interrupted = new AtomicBoolean();
        private final CountDownLatch shown = new CountDownLatch(1);

        private final long started = System.nanoTime();
        private long prefillStarted;
        private int generated;
        private boolean endsWithNewline = true;

        Stream(String target, PrintWriter out, PrintWriter err) {
            this.target = target;
            this.out = out;
            this.err = err;
            this.progress = new StatusLine(err);
        }

        int run(ManagedChannel channel, Request request) {
            InferenceGrpc.InferenceStub stub = InferenceGrpc.newStub(channel);
            Thread cancel = new Thread(this::cancelFromHook, "pose-generate-cancel");
            Runtime.getRuntime().addShutdownHook(cancel);
            try {
                if (request.whole() != null) {
                    stub.withDeadline(deadline).generate(request.whole(), observer(null));
                } else {
                    int chunks = request.upload().size() - 2;
                    err.printf(
                            "uploading the prompt (%s) in %d chunk%s%n",
                            request.what(), chunks, chunks == 1 ? "" : "s");
                    err.flush();
                    stub.withDeadline(deadline)
                            .generateUpload(observer(request.upload().iterator()));
                }
                return show();
            } finally {
                shown.countDown();
                try {
                    Runtime.getRuntime().removeShutdownHook(cancel);
                } catch (IllegalStateException shuttingDown) {
                    // the hook runs; it finds the call ended
                }
            }
        }

        private io.grpc.Deadline deadline;

        /** The call's deadline, counted from now; null = none. */
        Stream deadline(Double seconds) {
            this.deadline =
                    seconds == null ? null : io.grpc.Deadline.after(Math.round(seconds * 1e9), TimeUnit.NANOSECONDS);
            return this;
        }

        /** Receives the responses; for an upload, sends {@code parts} as fast as the transport takes them. */
        private <Q> ClientResponseObserver<Q, GenerateResponse> observer(Iterator<Q> parts) {
            return new ClientResponseObserver<>() {
                @Override
                public void beforeStart(ClientCallStreamObserver<Q> requests) {
                    call.set(requests);
                    if (parts != null) {
                        AtomicBoolean halfClosed = new AtomicBoolean();
                        requests.setOnReadyHandler(() -> {
                            synchronized (parts) {
                                while (requests.isReady() && parts.hasNext()) {
                                    requests.onNext(parts.next());
                                }
                                if (!parts.hasNext() && halfClosed.compareAndSet(false, true)) {
                                    requests.onCompleted();
                                }
                            }
                        });
                    }
                }

                @Override
                public void onNext(GenerateResponse r) {
                    events.add(r);
                }

                @Override
                public void onError(Throwable t) {
                    events.add(t);
                }

                @Override
                public void onCompleted() {
                    events.add(COMPLETED);
                }
            };
        }

        /** Shows the stream until it ends; the exit status, or a CliException for a failed call. */
        private int show() {
            Final fin = null;
            while (true) {
                Object e;
                try {
                    e = events.take();
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    cancel("interrupted");
                    throw new PoseCommand.CliException("interrupted", 1);
                }
                if (e == COMPLETED) {
                    break;
                }
                if (e instanceof Throwable t) {
                    progress.breakLine();
                    endText();
                    if (interrupted.get()) {
                        err.printf("cancelled after %d generated tokens%n", generated);
                        err.flush();
                        return 130;
                    }
                    throw Grpc.error(asStatus(t), "inference-service", target, true);
                }
                GenerateResponse r = (GenerateResponse) e;
                switch (r.getEventCase()) {
                    case PREFILL ->
                        prefill(r.getPrefill().getTokensDone(), r.getPrefill().getTokensTotal());
                    case TOKEN -> token(r.getToken().getText());
                    case FINAL -> fin = r.getFinal();
                    case EVENT_NOT_SET -> {} // a newer service's event: nothing to show
                }
            }
            progress.breakLine();
            endText();
            if (fin == null) {
                throw new PoseCommand.CliException(
                        "the stream from inference-service at " + target + " ended without a Final message", 1);
            }
            err.println(summary(fin));
            err.flush();
            return fin.getFinishReason() == FinishReason.FINISH_REASON_CANCELLED ? 1 : 0;
        }

        private void prefill(int done, int total) {
            long now = System.nanoTime();
            if (prefillStarted == 0) {
                prefillStarted = done == 0 ? now : started;
            }
            boolean last = done >= total;
            if (!progress.due(last)) {
                return;
            }
            double seconds = (now - prefillStarted) / 1e9;
            String rate = done > 0 && seconds > 0 ? String.format("  %,.0f tok/s", done / seconds) : "";
            progress.show(
                    String.format(
                            "prefill %s %,d/%,d tokens%s",
                            StatusLine.bar(total <= 0 ? 1.0 : (double) done / total), done, total, rate),
                    last);
        }

        private void token(String text) {
            if (generated == 0) {
                progress.breakLine();
            }
            generated++;
            if (!text.isEmpty()) {
                out.print(text);
                out.flush();
                endsWithNewline = text.endsWith("\n");
            }
        }

        /** On a terminal, ends the generated text's line (on stderr: stdout keeps exactly the generated text). */
        private void endText() {
            if (!endsWithNewline && System.console() != null) {
                err.println();
                err.flush();
            }
            endsWithNewline = true;
        }

        private void cancel(String why) {
            ClientCallStreamObserver<?> c = call.get();
            if (c != null) {
                c.cancel(why, null);
            }
        }

        /** Ctrl-C: cancel the call, let the calling thread print what happened. */
        private void cancelFromHook() {
            if (shown.getCount() == 0) {
                return;
            }
            interrupted.set(true);
            cancel("cancelled by the user (Ctrl-C)");
            try {
                shown.await(3, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A failure from gRPC's observer as a StatusRuntimeException, trailers (and so ErrorInfo details) kept. */
    static StatusRuntimeException asStatus(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        return Status.fromThrowable(t).asRuntimeException(Status.trailersFromThrowable(t));
    }

    /**
     * {@code finish length: prompt 1,024 tokens, generated 16; time to first token 532 ms; prefill 1,925 tok/s,
     * decode 45.2 tok/s}.
     */
    static String summary(Final f) {
        String reason = switch (f.getFinishReason()) {
            case FINISH_REASON_LENGTH -> "length";
            case FINISH_REASON_STOP ->
                "stop" + (f.getStopSequence().isEmpty() ? "" : " (" + quote(f.getStopSequence()) + ")");
            case FINISH_REASON_EOS -> "eos";
            case FINISH_REASON_CANCELLED -> "cancelled";
            default -> f.getFinishReason().name();
        };
        return String.format(
                "finish %s: prompt %,d tokens, generated %,d; time to first token %,.0f ms; "
                        + "prefill %,.0f tok/s, decode %,.1f tok/s",
                reason,
                f.getPromptTokens(),
                f.getGeneratedTokens(),
                f.getTimeToFirstTokenMs(),
                f.getPrefillTokensPerSecond(),
                f.getDecodeTokensPerSecond());
    }

    /** A stop sequence shown in double quotes with \n, \t, \" and \\ escaped. */
    static String quote(String s) {
        return '"'
                + s.replace("\\", "\\\\")
                        .replace("\"", "\\\"")
                        .replace("\n", "\\n")
                        .replace("\t", "\\t")
                + '"';
    }
}
