package ai.posemesh.cli;

import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import ai.posemesh.train.loop.Trainer;
import java.nio.file.Path;
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
                    + "latest checkpoint."
        })
final class TrainCommand implements Callable<Integer> {

    @Option(names = "--base", required = true, description = "HF model directory to start from.")
    Path base;

    @Option(names = "--method", required = true, description = "pose, randpos, full or none.")
    String method;

    @Option(names = "--rope", defaultValue = "linear",
            description = "Target scaling: linear, ntk, yarn, yarn-pose, dynamic, or none to keep the base's "
                    + "(default: ${DEFAULT-VALUE}).")
    String rope;

    @Option(names = "--train-len", required = true, description = "Lc: the training window (the base's context).")
    int trainLen;

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

    @Option(names = "--batch", defaultValue = "64", description = "Global batch in sequences (default: ${DEFAULT-VALUE}).")
    int batch;

    @Option(names = "--micro-batch", defaultValue = "8",
            description = "Sequences per forward; batch/micro-batch accumulation steps (default: ${DEFAULT-VALUE}).")
    int microBatch;

    @Option(names = "--clip", defaultValue = "1.0", description = "Gradient-norm clip, 0 = off (default: ${DEFAULT-VALUE}).")
    double clip;

    @Option(names = "--weight-decay", defaultValue = "0", description = "AdamW weight decay (default: ${DEFAULT-VALUE}).")
    double weightDecay;

    @Option(names = "--seed", defaultValue = "42", description = "Seed for data and positions (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--data", required = true,
            description = "A JSONL file with a \"text\" field, a folder of .txt files, or a fetched corpus family "
                    + "(books, reports, math, general; see `pose data fetch`).")
    String data;

    @Option(names = "--data-root", defaultValue = ".pose/data",
            description = "Where `pose data fetch` put the corpus families (default: ${DEFAULT-VALUE}).")
    Path dataRoot;

    @Option(names = "--out", required = true, description = "Output directory for checkpoint-NNNNNN/ folders.")
    Path out;

    @Option(names = "--checkpoint-every", defaultValue = "100",
            description = "Checkpoint every K steps and at the end; 0 = end only (default: ${DEFAULT-VALUE}).")
    int checkpointEvery;

    @Option(names = "--save-dtype", defaultValue = "float32", description = "float32 or bfloat16 (default: ${DEFAULT-VALUE}).")
    String saveDtype;

    @Option(names = "--held-out", defaultValue = "0.05",
            description = "Fraction of documents held out for evaluation (default: ${DEFAULT-VALUE}).")
    double heldOut;

    @Option(names = "--retrieval-mix", defaultValue = "0",
            description = "Share of examples replaced by synthetic retrieval windows (for pre-training a base that "
                    + "can find a number in its window; default: ${DEFAULT-VALUE}).")
    double retrievalMix;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        TrainSpec job = new TrainSpec(base, TrainSpec.Method.parse(method), rope, trainLen,
                targetLen != null ? targetLen : trainLen, chunks, steps, lr, warmup, batch, microBatch, clip,
                weightDecay, seed, data, out, checkpointEvery, saveDtype, heldOut, retrievalMix);
        var err = spec.commandLine().getErr();
        var o = spec.commandLine().getOut();
        try {
            ProgressBar progress = new ProgressBar(err);
            TrainListener.Checkpoint last = Trainer.run(job, dataRoot, progress);
            o.printf("done: %s (step %d, train loss %.4f, manifest sha256 %s)%n", last.dir(), last.step(),
                    last.trainLoss(), last.manifestSha256());
            if (progress.lastStats != null) {
                o.printf("throughput: %.3f s/step, %,.0f tokens/s; peak RSS %d MB; wall %.1f s%n",
                        progress.lastStats.step() == 0 ? 0 : job.batchSize() * job.inputLength()
                                / progress.lastStats.tokensPerSecond(),
                        progress.lastStats.tokensPerSecond(), last.peakRssBytes() >> 20, last.wallSeconds());
            }
            return 0;
        } catch (TrainException e) {
            throw new PoseCommand.CliException(e.getMessage());
        }
    }

    /** One status line on stderr, rewritten in place on a terminal, one line per checkpoint. */
    static final class ProgressBar implements TrainListener {
        private final java.io.PrintWriter err;
        private final boolean tty = System.console() != null;
        private long lastPrint;
        StepStats lastStats;

        ProgressBar(java.io.PrintWriter err) {
            this.err = err;
        }

        @Override
        public void onStart(int firstStep, int totalSteps) {
            err.printf("training steps %d..%d%s%n", firstStep, totalSteps, firstStep > 1 ? " (resumed)" : "");
        }

        @Override
        public void onStep(StepStats s) {
            lastStats = s;
            long now = System.nanoTime();
            boolean last = s.step() == s.totalSteps();
            if (!last && now - lastPrint < (tty ? 200_000_000L : 5_000_000_000L)) {
                return;
            }
            lastPrint = now;
            int width = 24;
            int filled = (int) Math.round(width * (double) s.step() / s.totalSteps());
            String line = String.format("[%s%s] step %d/%d  loss %.4f  lr %.2e  %,.0f tok/s  ETA %s",
                    "#".repeat(filled), "-".repeat(width - filled), s.step(), s.totalSteps(), s.loss(), s.lr(),
                    s.tokensPerSecond(), eta(s.etaSeconds()));
            err.print(tty ? "\r" + line + (last ? "\n" : "") : line + "\n");
            err.flush();
        }

        @Override
        public void onCheckpoint(Checkpoint c) {
            err.printf("%scheckpoint %s (step %d, loss %.4f)%n", tty ? "\n" : "", c.dir(), c.step(), c.trainLoss());
        }

        static String eta(double seconds) {
            long s = Math.round(seconds);
            return s >= 3600 ? String.format("%dh%02dm", s / 3600, s / 60 % 60)
                    : s >= 60 ? String.format("%dm%02ds", s / 60, s % 60) : s + "s";
        }
    }
}
