package ai.posemesh.cli;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.CorpusException;
import ai.posemesh.corpus.Document;
import ai.posemesh.evaluation.EvalBackend;
import ai.posemesh.evaluation.EvalException;
import ai.posemesh.evaluation.EvalModel;
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
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.StatusRuntimeException;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ./pose eval ppl|passkey}: the evaluation library's suites ({@code ai.posemesh.evaluation}) on a model directory
 * in this JVM ({@code --model}) or on a model an inference service serves ({@code --endpoint}), with the same numbers
 * either way. Results go to stdout (a markdown table, or one JSON object with {@code --json}); progress goes to stderr.
 */
@Command(
        name = "eval",
        mixinStandardHelpOptions = true,
        description = "Evaluate a checkpoint: the PoSE paper's perplexity and passkey protocols, locally or on an "
                + "inference service.",
        subcommands = {EvalCommand.Ppl.class, EvalCommand.Passkey.class})
final class EvalCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** Which model: a directory evaluated in this JVM, or a served model. */
    static final class Target {
        @Option(
                names = "--model",
                paramLabel = "DIR",
                description = "HF model directory (with tokenizer.json), evaluated in this JVM.")
        Path model;

        @Option(
                names = "--endpoint",
                paramLabel = "HOST:PORT",
                description = "An inference service (gRPC, default port 9082): evaluate the model it serves.")
        String endpoint;

        @Option(
                names = "--model-name",
                paramLabel = "NAME",
                description = "With --endpoint: the served model's name (default: the service's only model).")
        String modelName;

        @Option(
                names = "--prefill-chunk",
                defaultValue = "" + InProcessBackend.DEFAULT_PREFILL_CHUNK,
                description = "With --model: prefill chunk in tokens (default: ${DEFAULT-VALUE}, the inference "
                        + "service's, so both give the same numbers bit for bit).")
        int prefillChunk;

        String target;

        EvalBackend open() {
            if ((model == null) == (endpoint == null)) {
                throw new PoseCommand.CliException(
                        "--model, --endpoint: give exactly one: --model DIR (in this JVM) or --endpoint HOST:PORT "
                                + "(an inference service)");
            }
            if (model != null) {
                if (modelName != null) {
                    throw new PoseCommand.CliException("--model-name: only with --endpoint (a served model's name)");
                }
                if (!Files.isDirectory(model)) {
                    throw new PoseCommand.CliException("--model: " + model + ": no such directory");
                }
                if (prefillChunk < 1) {
                    throw new PoseCommand.CliException("--prefill-chunk: must be >= 1, got " + prefillChunk);
                }
                return InProcessBackend.load(model).prefillChunk(prefillChunk);
            }
            target = Grpc.target(endpoint, 9082);
            try {
                return RemoteBackend.connect(target, modelName == null ? "" : modelName);
            } catch (IllegalArgumentException e) {
                throw new PoseCommand.CliException("--endpoint: " + e.getMessage());
            } catch (StatusRuntimeException e) {
                throw Grpc.error(e, "inference-service", target, true);
            }
        }

        /** A library failure as a CLI error naming the flag. */
        RuntimeException error(RuntimeException e) {
            if (e instanceof EvalException ee) {
                return new PoseCommand.CliException("--" + ee.field() + ": " + ee.getMessage());
            }
            if (e instanceof CorpusException ce) {
                return new PoseCommand.CliException("--" + ce.field() + ": " + ce.reason());
            }
            if (e instanceof StatusRuntimeException se) {
                return Grpc.error(se, "inference-service", target, true);
            }
            return e;
        }
    }

    /** A progress bar on stderr for one suite: "ppl 256: [#####-----] 1200/2560 tokens". */
    static Progress bar(StatusLine line, String suite, String unit) {
        return (length, done, total) -> {
            boolean last = done == total;
            if (line.due(last)) {
                double f = total == 0 ? 1 : (double) done / total;
                line.show(
                        suite + " " + length + ": " + StatusLine.bar(f) + " " + done + "/" + total + " " + unit, last);
            }
        };
    }

    static void describe(PrintWriter err, EvalBackend b, String what) {
        EvalModel m = b.model();
        err.printf(
                "%s: %s, rope %s x%s, window %d (base %d)%s%n",
                what,
                b,
                m.ropeType(),
                m.ropeFactor() == Math.rint(m.ropeFactor())
                        ? Long.toString((long) m.ropeFactor())
                        : Double.toString(m.ropeFactor()),
                m.maxContext(),
                m.baseContext(),
                m.manifestSha256().isEmpty() ? "" : ", manifest " + m.manifestSha256());
        err.flush();
    }

    static void printJson(PrintWriter out, JsonNode j) {
        try {
            out.println(ConfigJson.ONE_LINE.writeValueAsString(j));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        out.flush();
    }

    @Command(
            name = "ppl",
            mixinStandardHelpOptions = true,
            description = {
                "Sliding-window perplexity exactly as the PoSE reference's eval_ppl.py: documents tokenized without "
                        + "special tokens and cut to max-tokens - 1; the first --docs with >= min-tokens - 1 tokens; "
                        + "at window W, windows of BOS + up to W - 1 tokens every S tokens; each token counted once "
                        + "(the first from BOS alone); PPL pooled over all tokens of all documents.",
                "Prints a markdown row per length: | length | stride | docs | windows | scored tokens | ppl |, or "
                        + "with --json one object whose \"results\" holds {length, ppl, scored_tokens, docs} per length."
            })
    static final class Ppl implements Callable<Integer> {

        @Mixin
        Target target;

        @Option(
                names = "--data",
                required = true,
                paramLabel = "FAMILY|PATH",
                description = "A corpus family (books, reports, math, general; see `pose data fetch`), a .jsonl file "
                        + "with a \"text\" field, a directory of .txt files, or one .txt file.")
        String data;

        @Option(
                names = "--data-root",
                defaultValue = ".pose/data",
                description = "Where `pose data fetch` put the families (default: ${DEFAULT-VALUE}).")
        Path dataRoot;

        @Option(
                names = "--lengths",
                split = ",",
                paramLabel = "L1,L2,...",
                description = "Window lengths W in tokens, BOS included (default: from half the base window, "
                        + "doubling to the model's target window, and one doubling past it in-process).")
        int[] lengths;

        @Option(
                names = "--stride",
                paramLabel = "S",
                description = "Window stride, 1 <= S <= W - 1 for every W (default: W/2 at each length; the "
                        + "reference's default is 256, the paper's Table 1 used 1024).")
        Integer stride;

        @Option(
                names = "--docs",
                paramLabel = "N",
                defaultValue = "" + PerplexitySpec.DEFAULT_DOCS,
                description = "Evaluate the first N long-enough documents (default: ${DEFAULT-VALUE}).")
        int docs;

        @Option(
                names = "--min-tokens",
                paramLabel = "M",
                description = "Keep documents with >= M - 1 tokens (default: the longest length).")
        Integer minTokens;

        @Option(
                names = "--max-tokens",
                paramLabel = "X",
                description = "Cut every document to X - 1 tokens (default: the longest length).")
        Integer maxTokens;

        @Option(names = "--truncate", description = "Score each document's first W - 1 tokens in one window.")
        boolean truncate;

        @Option(names = "--json", description = "Print one JSON object instead of the table.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            if (stride != null && stride < 1) {
                throw new PoseCommand.CliException("--stride: must be >= 1, got " + stride);
            }
            try (EvalBackend b = target.open()) {
                PerplexitySpec d = lengths == null ? PerplexitySpec.defaults(b) : PerplexitySpec.withLengths(lengths);
                int longest = Arrays.stream(d.lengths()).max().orElse(2);
                PerplexitySpec ps = new PerplexitySpec(
                        d.lengths(),
                        stride == null ? 0 : stride,
                        docs,
                        minTokens == null ? Math.min(longest, maxTokens == null ? longest : maxTokens) : minTokens,
                        maxTokens == null ? longest : maxTokens,
                        truncate);
                ps.validate(b);
                List<Document> corpus = Corpus.load(data, dataRoot);
                describe(err, b, "ppl");
                PerplexityEval eval = new PerplexityEval(b);
                PerplexityEval.Selection sel = eval.select(corpus, ps);
                err.printf(
                        "ppl: %d of %d documents from %s (>= %d tokens, cut to %d)%s%n",
                        sel.size(),
                        corpus.size(),
                        data,
                        ps.minTokens() - 1,
                        ps.maxTokens() - 1,
                        sel.size() < ps.docs() ? "; fewer than --docs " + ps.docs() + " are long enough" : "");
                err.flush();
                if (!json) {
                    out.println("| length | stride | docs | windows | scored tokens | ppl |");
                    out.println("|---|---|---|---|---|---|");
                    out.flush();
                }
                StatusLine line = new StatusLine(err);
                Progress progress = bar(line, "ppl", "tokens");
                List<PerplexityResult> results = new java.util.ArrayList<>();
                for (int w : ps.lengths()) {
                    PerplexityResult r = eval.evaluate(sel, w, ps, progress);
                    results.add(r);
                    if (!json) {
                        line.breakLine();
                        out.printf(
                                "| %d | %s | %d | %d | %d | %.3f |%n",
                                w,
                                ps.truncate() ? "-" : Integer.toString(r.stride()),
                                r.docs(),
                                r.windows(),
                                r.scoredTokens(),
                                r.ppl());
                        out.flush();
                    }
                }
                if (json) {
                    printJson(out, new PerplexityReport(b.model(), ps, sel.ids(), results).toJson(data));
                }
            } catch (EvalException | CorpusException | StatusRuntimeException e) {
                throw target.error(e);
            }
            return 0;
        }
    }

    @Command(
            name = "passkey",
            mixinStandardHelpOptions = true,
            description = {
                "The PoSE paper's passkey retrieval test: a 1-50000 key hidden at a random depth in filler text, "
                        + "greedy 10 new tokens, pass if the first number generated is the key. A length equal to "
                        + "the model's target window is sized to 100 tokens less, as the reference does.",
                "Prints one markdown row per length: | length | filler units | trials | passed | accuracy |, or with "
                        + "--json one object whose \"results\" holds {length, trials, passed, accuracy} per length."
            })
    static final class Passkey implements Callable<Integer> {

        @Mixin
        Target target;

        @Option(
                names = "--lengths",
                split = ",",
                paramLabel = "L1,L2,...",
                description = "Prompt lengths in tokens, e.g. 1024,2048 (default: from half the base window, doubling "
                        + "to the target window, and one doubling past it in-process).")
        int[] lengths;

        @Option(names = "--trials", defaultValue = "50", description = "Trials per length (default: ${DEFAULT-VALUE}).")
        int trials;

        @Option(
                names = "--seed",
                defaultValue = "0",
                description = "Seed for keys and depths (default: ${DEFAULT-VALUE}).")
        long seed;

        @Option(
                names = "--trials-out",
                paramLabel = "FILE",
                description = "Also write every trial as a JSON line: model, manifest_sha256, rope, length, "
                        + "prompt_budget, filler_units, prompt_tokens, depth (filler units before the key), trial, "
                        + "expected, got (the first number generated, or null), answer (the generated text), passed; "
                        + "key and depth_units repeat expected and depth for earlier readers.")
        Path trialsOut;

        @Option(names = "--json", description = "Print one JSON object instead of the table.")
        boolean json;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public Integer call() throws IOException {
            PrintWriter out = spec.commandLine().getOut();
            PrintWriter err = spec.commandLine().getErr();
            try (EvalBackend b = target.open()) {
                PasskeyEval eval = new PasskeyEval(b);
                PasskeySpec ps = lengths == null
                        ? new PasskeySpec(eval.defaultSpec().lengths(), trials, seed)
                        : new PasskeySpec(lengths, trials, seed);
                eval.check(ps); // every length is checked before the first trial runs
                if (trialsOut != null) {
                    write(""); // starts the file empty, and fails now rather than after the trials
                }
                describe(err, b, "passkey");
                for (int l : ps.lengths()) {
                    if (eval.promptBudget(l) != l) {
                        err.printf(
                                "passkey: %d is the target window: prompts are sized to %d tokens (the reference "
                                        + "keeps %d free)%n",
                                l, eval.promptBudget(l), PasskeyEval.TARGET_MARGIN);
                    }
                }
                if (!json) {
                    out.println("| length | filler units | trials | passed | accuracy |");
                    out.println("|---|---|---|---|---|");
                    out.flush();
                }
                StatusLine line = new StatusLine(err);
                Progress progress = bar(line, "passkey", "trials");
                List<PasskeyEval.LengthResult> results = new java.util.ArrayList<>();
                for (int l : ps.lengths()) {
                    List<Trial> log = new java.util.ArrayList<>();
                    PasskeyEval.LengthResult r = eval.run(l, ps.trials(), ps.seed(), log::add, progress);
                    results.add(r);
                    if (!json) {
                        line.breakLine();
                        out.printf(
                                "| %d | %d | %d | %d | %.2f |%n",
                                l, r.fillerUnits(), r.trials(), r.passed(), r.accuracy());
                        out.flush();
                    }
                    if (trialsOut != null) {
                        write(trialLines(log), StandardOpenOption.APPEND);
                    }
                }
                if (json) {
                    printJson(out, new PasskeyReport(b.model(), ps, results).toJson());
                }
            } catch (EvalException | StatusRuntimeException e) {
                throw target.error(e);
            }
            return 0;
        }

        /** One length's trials as JSON lines. */
        private static String trialLines(List<Trial> log) throws IOException {
            return log.stream()
                    .map(t -> {
                        try {
                            return ConfigJson.ONE_LINE.writeValueAsString(t.toJson()) + "\n";
                        } catch (JsonProcessingException e) {
                            throw new IllegalStateException(e);
                        }
                    })
                    .collect(Collectors.joining());
        }

        private void write(String text, StandardOpenOption... options) {
            try {
                Files.writeString(trialsOut, text, options);
            } catch (IOException e) {
                throw new PoseCommand.CliException("--trials-out: cannot write " + trialsOut + ": " + e);
            }
        }
    }
}
