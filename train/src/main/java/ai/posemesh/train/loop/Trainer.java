package ai.posemesh.train.loop;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.CorpusException;
import ai.posemesh.corpus.Document;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.config.RopeParameters;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.io.Safetensors;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import ai.posemesh.train.data.TrainingData;
import ai.posemesh.train.positions.Example;
import ai.posemesh.train.positions.PositionSampler;
import ai.posemesh.train.synthetic.RetrievalExamples;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CancellationException;

/**
 * Runs a {@link TrainSpec}: corpus → tokenized documents → position sampler → AdamW steps on the DJL decoder →
 * checkpoints. Every optimizer step's examples derive from (seed, step), so resuming from checkpoint k replays steps
 * k+1.. exactly: no step is lost or repeated.
 */
public final class Trainer {

    private Trainer() {}

    /**
     * Trains, writing checkpoints under {@code spec.out()}/checkpoint-NNNNNN/ and resuming from the latest complete
     * one found there. With {@code steps == 0} it writes the base with the target's RoPE scaling as the only checkpoint
     * (the PI-only baseline).
     *
     * @param dataRoot where fetched corpus families live (a family name in {@code spec.data()} resolves here)
     * @return the last checkpoint
     * @throws TrainException for a bad spec (INVALID_ARGUMENT) or an unusable base/corpus (FAILED_PRECONDITION)
     * @throws CancellationException when the listener asks to stop
     */
    /** The corpus, with its failures as the training job's own: FAILED_PRECONDITION on the field that named it. */
    static List<Document> loadCorpus(String data, Path dataRoot) {
        try {
            return Corpus.load(data, dataRoot);
        } catch (CorpusException e) {
            throw new TrainException(TrainException.Kind.FAILED_PRECONDITION, e.field(), e.reason(), e);
        }
    }

    public static TrainListener.Checkpoint run(TrainSpec spec, Path dataRoot, TrainListener listener) {
        spec.validate();
        long t0 = System.nanoTime();
        LlamaConfig base = readBase(spec.base());
        LlamaConfig target = targetConfig(base, spec);
        PositionSampler sampler = PositionSampler.forSpec(spec);
        List<Document> docs = loadCorpus(spec.data(), dataRoot);
        TrainingData data;
        TextTokenizer tokenizer = loadTokenizer(spec.base());
        int bos = base.bosTokenId() != null ? base.bosTokenId() : 1;
        data = TrainingData.prepare(docs, tokenizer, bos, sampler, spec.heldOutFraction(), spec.seed());
        if (spec.retrievalFraction() > 0) {
            data.withRetrieval(new RetrievalExamples(tokenizer), spec.retrievalFraction());
        }
        // grad mode is per thread and on by default on fresh threads (the service trains on its own): keep it off
        // except around forward/backward, so weight loading and optimizer updates are plain in-place writes
        Engines.pytorch(); // loads libtorch before the first JNI call
        boolean previous = JniUtils.isGradMode();
        JniUtils.setGradMode(false);
        try (tokenizer;
                NDManager root = Engines.newManager()) {
            return new Run(spec, target, data, root, listener, t0).train();
        } catch (IOException e) {
            throw new UncheckedIOException("writing checkpoints under " + spec.out(), e);
        } finally {
            JniUtils.setGradMode(previous);
        }
    }

    /** The checkpoint's config: the target's scaling (factor Lt/Lc, original Lc) and max_position_embeddings Lt. */
    static LlamaConfig targetConfig(LlamaConfig base, TrainSpec spec) {
        RopeParameters rope = base.rope();
        if (!spec.ropeType().equals("none")) {
            Map<String, Object> extra = new LinkedHashMap<>();
            extra.put("factor", spec.factor());
            extra.put("original_max_position_embeddings", spec.trainLen());
            rope = RopeParameters.of(spec.ropeType(), base.rope().theta(), extra);
        }
        return new LlamaConfig(
                base.vocabSize(),
                base.hiddenSize(),
                base.intermediateSize(),
                base.numLayers(),
                base.numHeads(),
                base.numKvHeads(),
                base.headDim(),
                spec.targetLen(),
                base.rmsNormEps(),
                base.tieWordEmbeddings(),
                base.attentionBias(),
                base.mlpBias(),
                base.bosTokenId(),
                base.eosTokenIds(),
                base.padTokenId(),
                "float32",
                rope);
    }

    private static LlamaConfig readBase(Path dir) {
        try {
            return HfCheckpoint.readConfig(dir);
        } catch (CheckpointException e) {
            throw new TrainException(
                    TrainException.Kind.FAILED_PRECONDITION, "base", "unusable base model: " + e.getMessage(), e);
        }
    }

    private static TextTokenizer loadTokenizer(Path dir) {
        try {
            return TextTokenizer.load(dir);
        } catch (CheckpointException e) {
            throw new TrainException(TrainException.Kind.FAILED_PRECONDITION, "base", e.getMessage(), e);
        }
    }

    /** One job's mutable state. */
    private static final class Run {
        final TrainSpec spec;
        final LlamaConfig target;
        final TrainingData data;
        final NDManager root;
        final TrainListener listener;
        final long t0;
        final List<Double> losses = new ArrayList<>();
        final LrSchedule schedule;
        final DataType saveType;
        Llama model;
        AdamW optimizer;
        int step;
        long tokensSeen;
        double priorWallSeconds;

        Run(TrainSpec spec, LlamaConfig target, TrainingData data, NDManager root, TrainListener listener, long t0) {
            this.spec = spec;
            this.target = target;
            this.data = data;
            this.root = root;
            this.listener = listener;
            this.t0 = t0;
            this.schedule = new LrSchedule(spec.lr(), spec.warmupSteps(), spec.steps(), true);
            this.saveType = spec.saveDtype().equals("bfloat16") ? DataType.BFLOAT16 : DataType.FLOAT32;
        }

        TrainListener.Checkpoint train() throws IOException {
            Optional<Path> resume = Checkpoints.latest(spec.out());
            Llama loaded = loadWeights(resume.orElse(spec.base()), resume.isPresent());
            model = new Llama(target, loaded.weights(), loaded.manager(), null);
            model.weights().values().forEach(w -> w.setRequiresGradient(true));
            optimizer = new AdamW(model.weights(), root, spec.weightDecay());
            if (resume.isPresent()) {
                restore(resume.get());
            }
            listener.onStart(step + 1, spec.steps());
            TrainListener.Checkpoint last = null;
            if (step >= spec.steps()) {
                // nothing left: the final checkpoint exists (resume) or there is nothing to train (steps = 0)
                return resume.isPresent() ? Checkpoints.describe(resume.get()) : save(true);
            }
            int accumulation = spec.batchSize() / spec.microBatch();
            long stepTokens = (long) spec.batchSize() * spec.inputLength();
            long sessionStart = System.nanoTime();
            int firstStep = step + 1;
            while (step < spec.steps()) {
                if (listener.cancelled()) {
                    throw new CancellationException("cancelled after step " + step);
                }
                step++;
                double lr = schedule.at(step);
                double loss = 0;
                for (int k = 0; k < accumulation; k++) {
                    loss += microStep(k, accumulation);
                }
                optimizer.step(model.weights(), lr, spec.clip());
                losses.add(loss);
                tokensSeen += stepTokens;
                double elapsed = (System.nanoTime() - sessionStart) / 1e9;
                int done = step - firstStep + 1;
                listener.onStep(new TrainListener.StepStats(
                        step,
                        spec.steps(),
                        loss,
                        lr,
                        done * stepTokens / Math.max(elapsed, 1e-9),
                        elapsed / done * (spec.steps() - step),
                        tokensSeen));
                boolean end = step == spec.steps();
                if (end || (spec.checkpointEvery() > 0 && step % spec.checkpointEvery() == 0)) {
                    last = save(end);
                }
            }
            return last;
        }

        /** Forward + backward of one micro-batch; gradients accumulate in the parameters. Returns its loss share. */
        double microStep(int k, int accumulation) {
            int mb = spec.microBatch();
            int len = spec.inputLength();
            long[] ids = new long[mb * len];
            long[] pos = new long[mb * len];
            long maxPos = 0;
            for (int j = 0; j < mb; j++) {
                Example e = data.example(step, k, j);
                System.arraycopy(e.inputIds(), 0, ids, j * len, len);
                System.arraycopy(e.positionIds(), 0, pos, j * len, len);
                maxPos = Math.max(maxPos, e.positionIds()[len - 1]);
            }
            try (NDManager m = root.newSubManager()) {
                NDArray x = m.create(ids, new Shape(mb, len));
                NDArray p = m.create(pos, new Shape(mb, len));
                // torch's grad mode is thread-local: several jobs may train in one JVM (DJL's collector is global)
                boolean previous = JniUtils.isGradMode();
                JniUtils.setGradMode(true);
                try {
                    NDArray loss = loss(x, p, (int) maxPos + 1).div(accumulation);
                    JniUtils.backward((PtNDArray) loss, (PtNDArray) m.ones(new Shape()), false, false);
                    return loss.getFloat();
                } finally {
                    JniUtils.setGradMode(previous);
                }
            }
        }

        /** Mean next-token cross-entropy; the chunk-boundary prediction is not masked (as the seed). */
        NDArray loss(NDArray ids, NDArray positions, int ropeLength) {
            NDArray hidden = model.forward(ids, positions, null, ropeLength); // [B,T,D]
            NDArray logp = model.logits(hidden).logSoftmax(-1); // [B,T,V]
            long t = ids.getShape().get(1);
            NDArray targets = ids.get(new NDIndex(":, 1:")).expandDims(-1); // [B,T-1,1]
            NDArray picked = logp.get(new NDIndex(":, :{}, :", t - 1)).gather(targets, 2);
            return picked.mean().neg();
        }

        Llama loadWeights(Path dir, boolean isCheckpoint) {
            try {
                Llama l = HfCheckpoint.load(dir, root);
                Path master = dir.resolve(Checkpoints.STATE_DIR).resolve("master.safetensors");
                if (isCheckpoint && Files.isRegularFile(master)) {
                    // bf16 checkpoints keep float32 master weights: resume from those, not the rounded copy
                    Safetensors.Header h = Safetensors.header(master);
                    for (Map.Entry<String, NDArray> e : l.weights().entrySet()) {
                        try (NDArray w = Safetensors.read(h, e.getKey(), root)) {
                            e.getValue().set(w.toFloatArray());
                        }
                    }
                }
                return l;
            } catch (CheckpointException e) {
                throw new TrainException(
                        TrainException.Kind.FAILED_PRECONDITION,
                        isCheckpoint ? "out" : "base",
                        "cannot load " + dir + ": " + e.getMessage(),
                        e);
            }
        }

        void restore(Path dir) {
            JsonNode state = ConfigJson.read(dir.resolve(Checkpoints.STATE_DIR).resolve("state.json"));
            JsonNode manifest = CheckpointManifest.read(dir);
            JsonNode job = manifest.get("job");
            ObjectNode mine = jobJson();
            if (job == null || !mine.toString().equals(job.toString())) { // as written: Jackson's int/long nodes differ
                throw new TrainException(
                        TrainException.Kind.FAILED_PRECONDITION,
                        "out",
                        dir + " belongs to a " + "different job (" + job
                                + "); use a new --out or the same settings to resume");
            }
            step = state.get("step").asInt();
            tokensSeen = state.get("tokens_seen").asLong();
            priorWallSeconds = state.get("wall_seconds").asDouble();
            losses.addAll(Checkpoints.doubles(state.get("losses")));
            optimizer.load(
                    Safetensors.readAll(dir.resolve(Checkpoints.STATE_DIR).resolve("optimizer.safetensors"), root),
                    state.get("adam_steps").asInt());
        }

        /** The settings that define a job; a resume must match them exactly. */
        ObjectNode jobJson() {
            ObjectNode j = ConfigJson.MAPPER.createObjectNode();
            j.put("base", spec.base().toAbsolutePath().normalize().toString());
            j.put("method", spec.method().id());
            j.put("rope", spec.ropeType());
            j.put("train_len", spec.trainLen());
            j.put("target_len", spec.targetLen());
            j.put("chunks", spec.chunks());
            j.put("steps", spec.steps());
            j.put("lr", spec.lr());
            j.put("warmup_steps", spec.warmupSteps());
            j.put("batch_size", spec.batchSize());
            j.put("micro_batch", spec.microBatch());
            j.put("clip", spec.clip());
            j.put("weight_decay", spec.weightDecay());
            j.put("seed", spec.seed());
            j.put("data", spec.data());
            j.put("held_out", spec.heldOutFraction());
            j.put("save_dtype", spec.saveDtype());
            j.put("retrieval_fraction", spec.retrievalFraction());
            return j;
        }

        double wallSeconds() {
            return priorWallSeconds + (System.nanoTime() - t0) / 1e9;
        }

        TrainListener.Checkpoint save(boolean last) throws IOException {
            Files.createDirectories(spec.out());
            Path dir = Checkpoints.dirFor(spec.out(), step);
            double wall = wallSeconds();
            long peak = peakRssBytes();
            ObjectNode state = ConfigJson.MAPPER.createObjectNode();
            state.put("step", step);
            state.put("adam_steps", optimizer.steps());
            state.put("tokens_seen", tokensSeen);
            state.put("wall_seconds", wall);
            ArrayNode l = state.putArray("losses");
            losses.forEach(l::add);
            ObjectNode manifest = ConfigJson.MAPPER.createObjectNode();
            manifest.put("format", "posemesh-checkpoint/1");
            manifest.put("step", step);
            manifest.put("last", last);
            manifest.set("job", jobJson());
            manifest.put("sampler", data.sampler().describe());
            manifest.set("rope", target.rope().toJson());
            ObjectNode d = manifest.putObject("data");
            d.put("source", spec.data());
            d.put("train_documents", data.trainDocuments());
            d.put("train_tokens", data.trainTokens());
            d.put("dropped_short", data.droppedShort());
            ArrayNode held = d.putArray("held_out_ids");
            data.heldOutIds().forEach(held::add);
            manifest.put("tokens_seen", tokensSeen);
            manifest.put("train_loss", recentLoss());
            manifest.set("losses", l.deepCopy());
            manifest.put("wall_seconds", wall);
            manifest.put("peak_rss_bytes", peak);
            String sha = Checkpoints.write(dir, model, saveType, spec.base(), optimizer, state, manifest);
            TrainListener.Checkpoint c = new TrainListener.Checkpoint(
                    dir, step, sha, target.rope(), target.maxPositionEmbeddings(), recentLoss(), wall, peak, last);
            listener.onCheckpoint(c);
            return c;
        }

        /** Mean loss of the last (up to) 10 steps; NaN before any step. */
        double recentLoss() {
            int n = Math.min(10, losses.size());
            return n == 0
                    ? Double.NaN
                    : losses.subList(losses.size() - n, losses.size()).stream()
                            .mapToDouble(x -> x)
                            .average()
                            .orElse(Double.NaN);
        }
    }

    /** Peak resident memory of this process (Linux VmHWM), or −1 where unavailable. */
    public static long peakRssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
