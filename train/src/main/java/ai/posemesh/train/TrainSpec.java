package ai.posemesh.train;

import java.nio.file.Path;
import java.util.Locale;

/**
 * One training job: what the CLI's flags and the Trainer API's {@code SubmitJob} both describe. Defaults are the
 * seed's (PoSE paper §4.1): lr 2e-5, 10 warmup steps, 1000 steps, global batch 64, clip 1.0, weight decay 0.
 *
 * @param base the HF directory to start from
 * @param method pose, randpos, full or none
 * @param ropeType the target's scaling written into the checkpoint: linear, ntk, yarn, yarn-pose, dynamic (or
 *     {@code none} to keep the base's RoPE, as pre-training does)
 * @param trainLen Lc, the window trained on (the base's context)
 * @param targetLen Lt, the context to reach; factor = Lt / Lc
 * @param chunks PoSE chunk count N (the reference code uses 2)
 * @param batchSize global batch (sequences per optimizer step)
 * @param microBatch sequences per forward; batchSize / microBatch steps of gradient accumulation
 * @param data a JSONL file with a "text" field, a folder of .txt files, or a fetched corpus family name
 * @param checkpointEvery write a checkpoint every K steps (and at the end); 0 = only at the end
 * @param saveDtype float32 or bfloat16 for saved weights
 * @param retrievalFraction share of training examples replaced by synthetic retrieval windows (facts stated, then
 *     asked about), used when pre-training a tiny base so it can find a number in its window; 0 = none
 */
public record TrainSpec(
        Path base,
        Method method,
        String ropeType,
        int trainLen,
        int targetLen,
        int chunks,
        int steps,
        double lr,
        int warmupSteps,
        int batchSize,
        int microBatch,
        double clip,
        double weightDecay,
        long seed,
        String data,
        Path out,
        int checkpointEvery,
        String saveDtype,
        double heldOutFraction,
        double retrievalFraction) {

    /** A job without synthetic retrieval examples. */
    public TrainSpec(
            Path base,
            Method method,
            String ropeType,
            int trainLen,
            int targetLen,
            int chunks,
            int steps,
            double lr,
            int warmupSteps,
            int batchSize,
            int microBatch,
            double clip,
            double weightDecay,
            long seed,
            String data,
            Path out,
            int checkpointEvery,
            String saveDtype,
            double heldOutFraction) {
        this(
                base,
                method,
                ropeType,
                trainLen,
                targetLen,
                chunks,
                steps,
                lr,
                warmupSteps,
                batchSize,
                microBatch,
                clip,
                weightDecay,
                seed,
                data,
                out,
                checkpointEvery,
                saveDtype,
                heldOutFraction,
                0.0);
    }

    /** How position ids (and input lengths) are drawn. */
    public enum Method {
        /** Lc tokens in N chunks with skip-biased positions covering [0, Lt) — the seed. */
        POSE,
        /** Lc tokens at Lc sorted distinct random positions from [0, Lt). */
        RANDPOS,
        /** Lt-token inputs at positions 0..Lt−1 (the expensive baseline). */
        FULL,
        /** Lc tokens at positions 0..Lc−1 (pre-training, plain fine-tuning, PI-only when steps = 0). */
        NONE;

        public static Method parse(String s) {
            try {
                return valueOf(s.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new TrainException(
                        TrainException.Kind.INVALID_ARGUMENT,
                        "method",
                        "unknown method '" + s + "'; expected pose, randpos, full or none");
            }
        }

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** The RoPE types a job may ask for; "none" keeps the base checkpoint's RoPE. */
    public static final java.util.Set<String> ROPE_TYPES =
            java.util.Set.of("none", "linear", "ntk", "yarn", "yarn-pose", "dynamic");

    /** Checks every field a user can get wrong, naming it. Does not touch the file system. */
    public TrainSpec validate() {
        bad(base == null, "base", "is required");
        bad(out == null, "out", "is required");
        bad(method == null, "method", "is required");
        bad(
                !ROPE_TYPES.contains(ropeType),
                "rope",
                "unknown rope type '" + ropeType + "'; expected one of none, linear, ntk, yarn, yarn-pose, dynamic");
        bad(trainLen < 2, "train_len", "must be >= 2, got " + trainLen);
        bad(targetLen < trainLen, "target_len", "Lt (" + targetLen + ") must be >= Lc (" + trainLen + ")");
        bad(chunks < 1 || chunks > trainLen, "chunks", "must be in [1, Lc], got " + chunks);
        bad(steps < 0, "steps", "must be >= 0, got " + steps);
        bad(!(lr >= 0) || Double.isInfinite(lr), "lr", "must be a finite number >= 0, got " + lr);
        bad(warmupSteps < 0, "warmup_steps", "must be >= 0");
        bad(batchSize < 1, "batch_size", "must be >= 1");
        bad(
                microBatch < 1 || batchSize % microBatch != 0,
                "micro_batch",
                "must divide batch_size (" + batchSize + "), got " + microBatch);
        bad(!(clip >= 0), "clip", "must be >= 0 (0 disables clipping)");
        bad(!(weightDecay >= 0), "weight_decay", "must be >= 0");
        bad(data == null || data.isBlank(), "data", "is required");
        bad(checkpointEvery < 0, "checkpoint_every", "must be >= 0");
        bad(
                !saveDtype.equals("float32") && !saveDtype.equals("bfloat16"),
                "save_dtype",
                "must be float32 or bfloat16, got " + saveDtype);
        bad(!(heldOutFraction >= 0 && heldOutFraction < 1), "held_out", "must be in [0, 1)");
        bad(!(retrievalFraction >= 0 && retrievalFraction <= 1), "retrieval_fraction", "must be in [0, 1]");
        return this;
    }

    /** Lt / Lc. */
    public double factor() {
        return (double) targetLen / trainLen;
    }

    /** Tokens in one training input: Lt for full, Lc otherwise. */
    public int inputLength() {
        return method == Method.FULL ? targetLen : trainLen;
    }

    private static void bad(boolean condition, String field, String message) {
        if (condition) {
            throw new TrainException(TrainException.Kind.INVALID_ARGUMENT, field, message);
        }
    }

    /** The seed's defaults for everything but the paths, method, RoPE and lengths. */
    public static TrainSpec defaults(Path base, Method method, String rope, int lc, int lt, String data, Path out) {
        return new TrainSpec(
                base, method, rope, lc, lt, 2, 1000, 2e-5, 10, 64, 8, 1.0, 0.0, 42, data, out, 100, "float32", 0.05);
    }
}
