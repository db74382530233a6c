package ai.posemesh.service.trainer.jobs;

import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.events.v1.Sampler;
import ai.posemesh.proto.mapping.ModelMessages;
import ai.posemesh.proto.trainer.v1.CheckpointRef;
import ai.posemesh.train.TrainListener.Checkpoint;
import ai.posemesh.train.TrainSpec;
import java.nio.file.Path;

/** CheckpointPublished from what the training library reports (RoPE and target length: the config it wrote). */
public final class CheckpointEvents {

    private CheckpointEvents() {}

    /** {@code <job id>-checkpoint-NNNNNN}: unique across jobs, the same when a job's checkpoint is reported again. */
    public static String checkpointId(String jobId, Path checkpointDir) {
        return jobId + "-" + checkpointDir.getFileName();
    }

    /** {@code file:///abs/dir/}. */
    public static String uri(Path dir) {
        String u = dir.toAbsolutePath().normalize().toUri().toString();
        return u.endsWith("/") ? u : u + "/";
    }

    public static CheckpointPublished event(String jobId, String replica, TrainSpec spec, Checkpoint cp) {
        return CheckpointPublished.newBuilder()
                .setCheckpointId(checkpointId(jobId, cp.dir()))
                .setUri(uri(cp.dir()))
                .setManifestSha256(cp.manifestSha256())
                .setBaseModel(uri(spec.base()))
                .setMethod(spec.method().id())
                .setSampler(Sampler.newBuilder()
                        .setName(spec.method().id())
                        .setChunks(spec.method() == TrainSpec.Method.POSE ? spec.chunks() : 1)
                        .setPositionRange(spec.method() == TrainSpec.Method.NONE ? spec.trainLen() : spec.targetLen())
                        .setSeed(spec.seed()))
                .setRope(ModelMessages.rope(cp.rope()))
                .setTrainLen(spec.trainLen())
                .setTargetLen(cp.maxPositionEmbeddings())
                .setStep(cp.step())
                .setTotalSteps(spec.steps())
                .setTrainLoss(cp.trainLoss())
                .setWallSeconds(cp.wallSeconds())
                .setPeakMemoryBytes(cp.peakRssBytes())
                .setJobId(jobId)
                .setLast(cp.last())
                .setSaveDtype(spec.saveDtype())
                .setPublishedAtMs(System.currentTimeMillis())
                .setReplica(replica)
                .build();
    }

    public static CheckpointRef ref(CheckpointPublished e) {
        return CheckpointRef.newBuilder()
                .setCheckpointId(e.getCheckpointId())
                .setUri(e.getUri())
                .setStep(e.getStep())
                .setManifestSha256(e.getManifestSha256())
                .setTrainLoss(e.getTrainLoss())
                .setLast(e.getLast())
                .build();
    }
}
