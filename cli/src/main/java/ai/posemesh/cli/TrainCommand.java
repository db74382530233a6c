package ai.posemesh.cli;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.proto.mapping.TrainMessages;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import ai.posemesh.train.loop.Trainer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "train",
        mixinStandardHelpOptions = true,
        description = {
            "Fine-tune (or pre-train) a checkpoint with PoSE or a baseline, writing HF checkpoints with manifests.",
            "Methods: pose (Lc-token inputs, skip-wise positions covering Lt), randpos, full (Lt-token inputs), "
                    + "none (positions 0..Lc-1: pre-training, plain fine-tuning; with --steps 0 and a --rope, PI-only).",
            "Defaults are the PoSE paper's: lr 2e-5, 10 log-warmup steps then linear decay, 1000 steps, global "
                    + "batch 64, clip 1.0, AdamW (weight decay 0). Re-running with the same --out resumes from the "
                    + "latest checkpoint.",
            "With --endpoint HOST:PORT the job is submitted to a trainer-service (gRPC, plaintext) and followed with "
                    + "the same progress; exit 0 when it SUCCEEDED, 1 when it FAILED or was CANCELLED or the service "
                    + "cannot be reached, 2 when the service rejects the job. Only the flags given are sent; the "
                    + "others take the service's defaults (the same as here; no --out means the service's "
                    + "<checkpoint root>/<job id>). --base, --out and a --data path are sent as absolute paths "
                    + "resolved here, so they must name the same files on the service's machine (a shared volume); a "
                    + "corpus family is read from the service's data root.",
            "The job id is printed at submit. Ctrl-C stops following, not the job (it keeps running; cancel it "
                    + "through the Trainer API's CancelJob); --endpoint HOST:PORT --job ID follows it again."
        })
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--base", description = "HF model directory to start from (required).")
    String base;

    @Option(names = "--method", description = "pose, randpos, full or none (required).")
    String method;

    @Option(
            names = "--rope",
            defaultValue = "linear",
            description = "Target scaling: linear, ntk, yarn, yarn-pose, dynamic, or none to keep the base's "
                    + "(default: ${DEFAULT-VALUE}).")
    String rope;

    @Option(names = "--train-len", description = "Lc: the training window (the base's context; required).")
    Integer trainLen;

    @Option(names = "--target-len", description = "Lt: the context to reach (default: --train-len).")
    Integer targetLen;

    @Option(names = "--chunks", defaultValue = "2", description = "PoSE chunks N (default: ${DEFAULT-VALUE}).")
    int chunks;

    @Option(names = "--steps", defaultValue = "1000", description = "Optimizer steps (default: ${DEFAULT-VALUE}).")
    int steps;

    @Option(names = "--lr", defaultValue = "2e-5", description = "Peak learning rate (default: ${DEFAULT-VALUE}).")
    double lr;

    @Option(names = "--warmup", defaultValue = "10", description = "Warmup steps (default: ${DEFAULT-VALUE}).")
    int warmup;

    @Option(
            names = "--batch",
            defaultValue = "64",
            description = "Global batch in sequences (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(
            names = "--micro-batch",
            defaultValue = "8",
            description = "Sequences per forward; batch/micro-batch accumulation steps (default: ${DEFAULT-VALUE}).")
    int microBatch;

    @Option(
            names = "--clip",
            defaultValue = "1.0",
            description = "Gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(
            names = "--weight-decay",
            defaultValue = "0",
            description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(
            names = "--seed",
            defaultValue = "42",
            description = "Seed for data and positions (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(
            names = "--data",
            description = "A JSONL file with a \"text\" field, a folder of .txt files, or a fetched corpus family "
                    + "(books, reports, math, general; see `pose data fetch`). Required.")
    String data;

    @Option(
            names = "--data-root",
            defaultValue = ".pose/data",
            description = "Where `pose data fetch` put the corpus families (default: ${DEFAULT-VALUE}; local "
                    + "training only).")
    Path dataRoot;

    @Option(names = "--out", description = "Output directory for checkpoint-NNNNNN/ folders (required locally).")
    String out;

    @Option(
            names = "--checkpoint-every",
            defaultValue = "100",
            description = "Checkpoint every K steps and at the end; 0 = end only (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(
            names = "--save-dtype",
            defaultValue = "float32",
            description = "float32 or bfloat16 (default: ${DEFAULT-VALUE}).")
    String saveDtype;

    @Option(
            names = "--held-out",
            defaultValue = "0.05",
            description = "Fraction of documents held out for evaluation (default: ${DEFAULT-VALUE}).")
    double heldOut;

    @Option(
            names = "--retrieval-mix",
            defaultValue = "0",
            description = "Share of examples replaced by synthetic retrieval windows (for pre-training a base that "
                    + "can find a number in its window; default: ${DEFAULT-VALUE}).")
    double retrievalMix;

    @Option(
            names = "--endpoint",
            paramLabel = "HOST:PORT",
            description = "Run on a trainer-service instead of here: its gRPC address (port 9081 when omitted).")
    String endpoint;

    @Option(
            names = "--job",
            paramLabel = "ID",
            description = "With --endpoint: follow job ID (submitted earlier) instead of submitting one.")
    String job;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        if (endpoint != null) {
            return remote();
        }
        if (job != null) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--job needs --endpoint");
        }
        List<String> missing = new ArrayList<>();
        for (String[] o : new String[][] {
            {"--base", base}, {"--method", method}, {"--train-len", str(trainLen)}, {"--data", data}, {"--out", out}
        }) {
            if (o[1] == null) {
                missing.add("'" + o[0] + "'");
            }
        }
        if (!missing.isEmpty()) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "Missing required option" + (missing.size() > 1 ? "s: " : ": ") + String.join(", ", missing));
        }
        var err = spec.commandLine().getErr();
        var o = spec.commandLine().getOut();
        try {
            TrainSpec job = new TrainSpec(
                    Path.of(base),
                    TrainSpec.Method.parse(method),
                    rope,
                    trainLen,
                    targetLen != null ? targetLen : trainLen,
                    chunks,
                    steps,
                    lr,
                    warmup,
                    batch,
                    microBatch,
                    clip,
                    weightDecay,
                    seed,
                    data,
                    Path.of(out),
                    checkpointEvery,
                    saveDtype,
                    heldOut,
                    retrievalMix);
            ProgressBar progress = new ProgressBar(err);
            TrainListener.Checkpoint last = Trainer.run(job, dataRoot, progress);
            o.printf(
                    "done: %s (step %d, train loss %.4f, manifest sha256 %s)%n",
                    last.dir(), last.step(), last.trainLoss(), last.manifestSha256());
            if (progress.lastStats != null) {
                o.printf(
                        "throughput: %.3f s/step, %,.0f tokens/s; peak RSS %d MB; wall %.1f s%n",
                        progress.lastStats.step() == 0
                                ? 0
                                : job.batchSize() * job.inputLength() / progress.lastStats.tokensPerSecond(),
                        progress.lastStats.tokensPerSecond(),
                        last.peakRssBytes() >> 20,
                        last.wallSeconds());
            }
            return 0;
        } catch (TrainException e) {
            throw new PoseCommand.CliException(e.getMessage());
        }
    }

    private int remote() {
        CommandLine.ParseResult parsed = spec.commandLine().getParseResult();
        if (job != null) {
            List<String> extra = parsed.matchedOptions().stream()
                    .map(CommandLine.Model.OptionSpec::longestName)
                    .filter(n -> !n.equals("--endpoint") && !n.equals("--job"))
                    .toList();
            if (!extra.isEmpty()) {
                throw new CommandLine.ParameterException(
                        spec.commandLine(),
                        "--job follows a submitted job and takes no job options, got " + String.join(", ", extra));
            }
            return RemoteTrain.follow(
                    endpoint,
                    job,
                    spec.commandLine().getOut(),
                    spec.commandLine().getErr());
        }
        if (parsed.hasMatchedOption("--data-root")) {
            throw new CommandLine.ParameterException(
                    spec.commandLine(),
                    "--data-root is for local training; "
                            + "with --endpoint a corpus family is read from the service's data root "
                            + "(posemesh.trainer.data-root)");
        }
        return RemoteTrain.submit(
                endpoint,
                jobSpec(parsed),
                spec.commandLine().getOut(),
                spec.commandLine().getErr());
    }

    /**
     * The Trainer API's JobSpec for the flags given. Only explicit flags fill the optional fields (the service
     * fills the rest with the same library defaults); rope (default linear) and target_len (default: train_len),
     * which the API requires, always carry this command's values. Paths become absolute here.
     */
    JobSpec jobSpec(CommandLine.ParseResult parsed) {
        JobSpec.Builder b = JobSpec.newBuilder().setRope(rope);
        if (base != null) {
            b.setBase(absolute(base));
        }
        if (method != null) {
            try {
                b.setMethod(TrainMessages.method(TrainSpec.Method.parse(method)));
            } catch (TrainException e) {
                throw new PoseCommand.CliException(e.getMessage());
            }
        }
        if (trainLen != null) {
            b.setTrainLen(trainLen);
        }
        if (targetLen != null || trainLen != null) {
            b.setTargetLen(targetLen != null ? targetLen : trainLen);
        }
        if (data != null) {
            b.setData(Corpus.FAMILIES.contains(data) ? data : absolute(data));
        }
        if (out != null) {
            b.setOut(absolute(out));
        }
        if (parsed.hasMatchedOption("--chunks")) {
            b.setChunks(chunks);
        }
        if (parsed.hasMatchedOption("--steps")) {
            b.setSteps(steps);
        }
        if (parsed.hasMatchedOption("--lr")) {
            b.setLr(lr);
        }
        if (parsed.hasMatchedOption("--warmup")) {
            b.setWarmupSteps(warmup);
        }
        if (parsed.hasMatchedOption("--batch")) {
            b.setBatchSize(batch);
        }
        if (parsed.hasMatchedOption("--micro-batch")) {
            b.setMicroBatch(microBatch);
        }
        if (parsed.hasMatchedOption("--clip")) {
            b.setClip(clip);
        }
        if (parsed.hasMatchedOption("--weight-decay")) {
            b.setWeightDecay(weightDecay);
        }
        if (parsed.hasMatchedOption("--seed")) {
            b.setSeed(seed);
        }
        if (parsed.hasMatchedOption("--checkpoint-every")) {
            b.setCheckpointEvery(checkpointEvery);
        }
        if (parsed.hasMatchedOption("--save-dtype")) {
            b.setSaveDtype(saveDtype);
        }
        if (parsed.hasMatchedOption("--held-out")) {
            b.setHeldOut(heldOut);
        }
        if (parsed.hasMatchedOption("--retrieval-mix")) {
            b.setRetrievalFraction(retrievalMix);
        }
        return b.build();
    }

    /** A path as the service should see it: absolute, resolved here; a file:// URI is sent unchanged. */
    static String absolute(String path) {
        if (path.regionMatches(true, 0, "file:", 0, 5)) {
            return path;
        }
        try {
            return Path.of(path).toAbsolutePath().normalize().toString();
        } catch (java.nio.file.InvalidPathException e) {
            throw new PoseCommand.CliException("not a path: " + path + " (" + e.getMessage() + ")");
        }
    }

    private static String str(Object o) {
        return o == null ? null : o.toString();
    }

    /** One status line on stderr, rewritten in place on a terminal, one line per checkpoint. */
    static final class ProgressBar implements TrainListener {
        private final java.io.PrintWriter err;
        private final StatusLine line;
        StepStats lastStats;

        ProgressBar(java.io.PrintWriter err) {
            this.err = err;
            this.line = new StatusLine(err);
        }

        @Override
        public void onStart(int firstStep, int totalSteps) {
            err.printf("training steps %d..%d%s%n", firstStep, totalSteps, firstStep > 1 ? " (resumed)" : "");
        }

        @Override
        public void onStep(StepStats s) {
            lastStats = s;
            boolean last = s.step() == s.totalSteps();
            if (!line.due(last)) {
                return;
            }
            double done = s.totalSteps() <= 0 ? 1.0 : (double) s.step() / s.totalSteps();
            line.show(
                    String.format(
                            "%s step %d/%d  loss %.4f  lr %.2e  %,.0f tok/s  ETA %s",
                            StatusLine.bar(done),
                            s.step(),
                            s.totalSteps(),
                            s.loss(),
                            s.lr(),
                            s.tokensPerSecond(),
                            eta(s.etaSeconds())),
                    last);
        }

        @Override
        public void onCheckpoint(Checkpoint c) {
            breakLine();
            err.printf("checkpoint %s (step %d, loss %.4f)%n", c.dir(), c.step(), c.trainLoss());
            err.flush();
        }

        /** Ends the line being rewritten in place, if any, so that what follows starts on its own line. */
        void breakLine() {
            line.breakLine();
        }

        static String eta(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600
                    ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                    : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
        }
    }
}
