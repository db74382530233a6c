package ai.posemesh.service.trainer.jobs;

import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.proto.mapping.TrainMessages;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainException.Kind;
import ai.posemesh.train.TrainSpec;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The Trainer API's JobSpec ↔ the training library's {@link TrainSpec}. No training knowledge lives here. */
public final class JobSpecs {

    /** The library's defaults, so the API's stay the same as the CLI's. */
    private static final TrainSpec DEFAULTS = TrainSpec.defaults(null, null, "none", 0, 0, null, null);

    private JobSpecs() {}

    /**
     * The spec as it will run: unset optional fields take the library's defaults; base and out become absolute paths
     * (relative ones resolve against {@code checkpointRoot}; out defaults to {@code checkpointRoot/jobId}).
     *
     * @throws TrainException INVALID_ARGUMENT for a path that is neither a path nor a file:// URI
     */
    public static JobSpec resolve(JobSpec in, String jobId, Path checkpointRoot) {
        JobSpec.Builder b = in.toBuilder();
        if (!in.getBase().isBlank()) {
            b.setBase(path("base", in.getBase(), checkpointRoot).toString());
        }
        b.setOut((in.getOut().isBlank() ? checkpointRoot.resolve(jobId) : path("out", in.getOut(), checkpointRoot))
                .toString());
        if (in.getSaveDtype().isBlank()) {
            b.setSaveDtype(DEFAULTS.saveDtype());
        }
        if (!in.hasChunks()) {
            b.setChunks(DEFAULTS.chunks());
        }
        if (!in.hasSteps()) {
            b.setSteps(DEFAULTS.steps());
        }
        if (!in.hasLr()) {
            b.setLr(DEFAULTS.lr());
        }
        if (!in.hasWarmupSteps()) {
            b.setWarmupSteps(DEFAULTS.warmupSteps());
        }
        if (!in.hasBatchSize()) {
            b.setBatchSize(DEFAULTS.batchSize());
        }
        if (!in.hasMicroBatch()) {
            b.setMicroBatch(DEFAULTS.microBatch());
        }
        if (!in.hasClip()) {
            b.setClip(DEFAULTS.clip());
        }
        if (!in.hasWeightDecay()) {
            b.setWeightDecay(DEFAULTS.weightDecay());
        }
        if (!in.hasSeed()) {
            b.setSeed(DEFAULTS.seed());
        }
        if (!in.hasCheckpointEvery()) {
            b.setCheckpointEvery(DEFAULTS.checkpointEvery());
        }
        if (!in.hasHeldOut()) {
            b.setHeldOut(DEFAULTS.heldOutFraction());
        }
        if (!in.hasRetrievalFraction()) {
            b.setRetrievalFraction(DEFAULTS.retrievalFraction());
        }
        return b.build();
    }

    /** A resolved JobSpec as the library's record (not validated: call {@link TrainSpec#validate()}). */
    public static TrainSpec toTrainSpec(JobSpec s) {
        return new TrainSpec(
                s.getBase().isBlank() ? null : Path.of(s.getBase()),
                method(s),
                s.getRope(),
                s.getTrainLen(),
                s.getTargetLen(),
                s.getChunks(),
                s.getSteps(),
                s.getLr(),
                s.getWarmupSteps(),
                s.getBatchSize(),
                s.getMicroBatch(),
                s.getClip(),
                s.getWeightDecay(),
                s.getSeed(),
                s.getData(),
                s.getOut().isBlank() ? null : Path.of(s.getOut()),
                s.getCheckpointEvery(),
                s.getSaveDtype(),
                s.getHeldOut(),
                s.getRetrievalFraction());
    }

    /**
     * What SubmitJob checks on the file system: the base is a directory with a readable config.json.
     *
     * @throws TrainException FAILED_PRECONDITION naming field "base"
     */
    public static void checkBase(Path base) {
        if (!Files.isDirectory(base)) {
            throw new TrainException(Kind.FAILED_PRECONDITION, "base", "no such directory: " + base);
        }
        if (!Files.isRegularFile(base.resolve(HfCheckpoint.CONFIG))) {
            throw new TrainException(
                    Kind.FAILED_PRECONDITION,
                    "base",
                    base + " has no " + HfCheckpoint.CONFIG + "; expected an HF model directory");
        }
        try {
            HfCheckpoint.readConfig(base);
        } catch (CheckpointException e) {
            throw new TrainException(Kind.FAILED_PRECONDITION, "base", "unusable base model: " + e.getMessage(), e);
        }
    }

    static TrainSpec.Method method(JobSpec s) {
        return TrainMessages.method(s.getMethod(), s.getMethodValue());
    }

    /** An absolute path from a path or a file:// URI; relative paths resolve against {@code root}. */
    static Path path(String field, String value, Path root) {
        try {
            Path p;
            if (value.regionMatches(true, 0, "file:", 0, 5)) {
                p = Path.of(new URI(value));
            } else if (value.matches("^[A-Za-z][A-Za-z0-9+.-]*://.*")) {
                throw new TrainException(
                        Kind.INVALID_ARGUMENT, field, "only local paths and file:// URIs are supported, got " + value);
            } else {
                p = Path.of(value);
            }
            return root.resolve(p).toAbsolutePath().normalize();
        } catch (URISyntaxException
                | IllegalArgumentException e) { // InvalidPathException, FileSystemNotFound, bad URIs
            throw new TrainException(
                    Kind.INVALID_ARGUMENT, field, "not a path or file:// URI: " + value + " (" + e.getMessage() + ")");
        }
    }
}
