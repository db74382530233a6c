package ai.posemesh.cli;

import ai.posemesh.proto.inference.v1.Final;
import ai.posemesh.proto.inference.v1.FinishReason;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.SamplingParams;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
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

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Option(
            names = "--endpoint",
            required = true,
            paramLabel = "HOST:PORT",
            description = "inference-service's gRPC address (port " + GenerateClient.DEFAULT_PORT + " when omitted).")
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
        String target = GenerateClient.target(endpoint);
        GenerateClient.Request request = request(sampling);
        try (GenerateClient client = new GenerateClient(target)) {
            return new Display(
                            target,
                            spec.commandLine().getOut(),
                            spec.commandLine().getErr())
                    .run(client, request, deadline == null ? null : Duration.ofNanos(Math.round(deadline * 1e9)));
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

    /** The prompt read (a file, stdin or --prompt), and whether it goes whole or in chunks. */
    GenerateClient.Request request(SamplingParams sampling) {
        String name = model == null ? "" : model;
        if (prompt.tokensFile != null) {
            return GenerateClient.Request.ids(name, sampling, ids(prompt.tokensFile), upload);
        }
        String text = prompt.text != null ? prompt.text : readPrompt(prompt.file);
        return GenerateClient.Request.text(name, sampling, text, upload);
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

    /**
     * Shows one call on the calling thread: generated text to {@code out}, flushed per token; the upload notice,
     * prefill progress and the summary to {@code err}.
     */
    static final class Display {
        private final String target;
        private final PrintWriter out;
        private final PrintWriter err;
        private final StatusLine progress;

        private final long started = System.nanoTime();
        private long prefillStarted;
        private int generated;
        private boolean endsWithNewline = true;

        Display(String target, PrintWriter out, PrintWriter err) {
            this.target = target;
            this.out = out;
            this.err = err;
            this.progress = new StatusLine(err);
        }

        /** Runs the call until its stream ends; the exit status, or a CliException for a failed call. */
        int run(GenerateClient client, GenerateClient.Request request, Duration deadline) {
            if (request.upload() != null) {
                int chunks = request.chunks();
                err.printf("uploading the prompt (%s) in %d chunk%s%n", request.what(), chunks, chunks == 1 ? "" : "s");
                err.flush();
            }
            // closed only after the outcome is printed: a Ctrl-C waits for that before the JVM exits
            try (GenerateClient.Call call = client.generate(request, deadline)) {
                return show(call);
            }
        }

        private int show(GenerateClient.Call call) {
            Final fin = null;
            while (true) {
                GenerateResponse r;
                try {
                    r = call.next();
                } catch (StatusRuntimeException e) {
                    progress.breakLine();
                    endText();
                    if (call.cancelledByUser()) {
                        err.printf("cancelled after %d generated tokens%n", generated);
                        err.flush();
                        return 130;
                    }
                    throw Grpc.error(e, "inference-service", target, true);
                }
                if (r == null) {
                    break;
                }
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
