package ai.posemesh.service.trainer.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainSpec;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JobSpecsTest {

    private static final Path ROOT = Path.of("/srv/checkpoints");

    @Test
    void unsetFieldsTakeTheLibraryDefaultsAndPathsBecomeAbsolute() {
        JobSpec in = JobSpec.newBuilder()
                .setBase("models/llama")
                .setMethod(Method.METHOD_POSE)
                .setRope("yarn")
                .setTrainLen(2048)
                .setTargetLen(16384)
                .setData("pg19")
                .setSteps(0)
                .setClip(0)
                .build();
        JobSpec out = JobSpecs.resolve(in, "job-1", ROOT);
        TrainSpec d = TrainSpec.defaults(null, null, "none", 0, 0, null, null);
        assertEquals("/srv/checkpoints/models/llama", out.getBase());
        assertEquals("/srv/checkpoints/job-1", out.getOut());
        assertEquals(0, out.getSteps(), "an explicit 0 stays 0");
        assertEquals(0.0, out.getClip());
        assertEquals(d.lr(), out.getLr());
        assertEquals(d.batchSize(), out.getBatchSize());
        assertEquals(d.microBatch(), out.getMicroBatch());
        assertEquals(d.seed(), out.getSeed());
        assertEquals(d.heldOutFraction(), out.getHeldOut());
        assertEquals("float32", out.getSaveDtype());
        TrainSpec t = JobSpecs.toTrainSpec(out).validate();
        assertEquals(TrainSpec.Method.POSE, t.method());
        assertEquals(8.0, t.factor());
        assertEquals(Path.of("/srv/checkpoints/job-1"), t.out());
    }

    @Test
    void fileUrisAndAbsolutePaths() {
        JobSpec in = JobSpec.newBuilder()
                .setBase("file:///models/a%20b/")
                .setOut("/runs/x/../y")
                .build();
        JobSpec out = JobSpecs.resolve(in, "job-1", ROOT);
        assertEquals("/models/a b", out.getBase());
        assertEquals("/runs/y", out.getOut());
        TrainException e = assertThrows(
                TrainException.class,
                () -> JobSpecs.resolve(JobSpec.newBuilder().setOut("hdfs://x/y").build(), "job-1", ROOT));
        assertEquals("out", e.field());
        assertEquals(TrainException.Kind.INVALID_ARGUMENT, e.kind());
    }

    @Test
    void anUnsetMethodIsNamedByValidation() {
        TrainSpec t = JobSpecs.toTrainSpec(JobSpecs.resolve(JobSpec.getDefaultInstance(), "j", ROOT));
        assertNull(t.method());
        TrainException e = assertThrows(TrainException.class, t::validate);
        assertEquals("base", e.field()); // the first field validation checks
    }
}
