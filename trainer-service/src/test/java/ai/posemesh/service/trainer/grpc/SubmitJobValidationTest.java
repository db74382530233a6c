package ai.posemesh.service.trainer.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.trainer.v1.CancelJobRequest;
import ai.posemesh.proto.trainer.v1.JobSpec;
import ai.posemesh.proto.trainer.v1.Method;
import ai.posemesh.proto.trainer.v1.SubmitJobRequest;
import ai.posemesh.proto.trainer.v1.TrainerGrpc;
import ai.posemesh.proto.trainer.v1.WatchJobRequest;
import ai.posemesh.service.trainer.TestModels;
import ai.posemesh.testkit.KafkaTestResource;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** (a) SubmitJob rejects bad specs before queuing anything, with the gRPC code and the field named. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class SubmitJobValidationTest {

    static Path base;

    @GrpcClient("trainer")
    TrainerGrpc.TrainerBlockingStub trainer;

    @BeforeAll
    static void model() throws Exception {
        base = TestModels.tinyModel(Path.of("target/test-models/tiny-32").toAbsolutePath(), 32);
    }

    private static JobSpec.Builder good() {
        return JobSpec.newBuilder()
                .setBase(base.toString())
                .setMethod(Method.METHOD_POSE)
                .setRope("linear")
                .setTrainLen(32)
                .setTargetLen(128)
                .setData("/nonexistent/corpus.jsonl")
                .setSteps(1);
    }

    private StatusRuntimeException submit(UnaryOperator<JobSpec.Builder> edit) {
        return assertThrows(
                StatusRuntimeException.class,
                () -> trainer.submitJob(SubmitJobRequest.newBuilder()
                        .setSpec(edit.apply(good()))
                        .build()));
    }

    /** The code, "field: reason" as the description, ErrorInfo.metadata.field and BadRequest's spec.field. */
    private static void assertNames(StatusRuntimeException e, Status.Code code, String field) throws Exception {
        assertEquals(code, e.getStatus().getCode(), e.toString());
        assertTrue(
                e.getStatus().getDescription().startsWith(field + ": "),
                e.getStatus().getDescription());
        com.google.rpc.Status details = StatusProto.fromThrowable(e);
        assertTrue(details != null, "no google.rpc.Status details");
        boolean info = false;
        boolean badRequest = false;
        for (Any any : details.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                assertEquals(field, any.unpack(ErrorInfo.class).getMetadataOrThrow("field"));
                info = true;
            } else if (any.is(BadRequest.class)) {
                assertEquals(
                        "spec." + field,
                        any.unpack(BadRequest.class).getFieldViolations(0).getField());
                badRequest = true;
            }
        }
        assertTrue(info && badRequest, "ErrorInfo and BadRequest details expected: " + details);
    }

    @Test
    void badFieldsAreInvalidArgument() throws Exception {
        assertNames(submit(b -> b.setTrainLen(0)), Status.Code.INVALID_ARGUMENT, "train_len");
        assertNames(submit(b -> b.setTargetLen(16)), Status.Code.INVALID_ARGUMENT, "target_len");
        assertNames(submit(b -> b.setMethod(Method.METHOD_UNSPECIFIED)), Status.Code.INVALID_ARGUMENT, "method");
        assertNames(submit(b -> b.setRope("rotary")), Status.Code.INVALID_ARGUMENT, "rope");
        assertNames(submit(b -> b.setBatchSize(6).setMicroBatch(4)), Status.Code.INVALID_ARGUMENT, "micro_batch");
        assertNames(submit(b -> b.setChunks(0)), Status.Code.INVALID_ARGUMENT, "chunks");
        assertNames(submit(b -> b.setSteps(-1)), Status.Code.INVALID_ARGUMENT, "steps");
        assertNames(submit(b -> b.setSaveDtype("float16")), Status.Code.INVALID_ARGUMENT, "save_dtype");
        assertNames(submit(b -> b.setHeldOut(1.0)), Status.Code.INVALID_ARGUMENT, "held_out");
        assertNames(submit(b -> b.setData("")), Status.Code.INVALID_ARGUMENT, "data");
        assertNames(submit(b -> b.clearBase()), Status.Code.INVALID_ARGUMENT, "base");
        assertNames(submit(b -> b.setBase("s3://bucket/model")), Status.Code.INVALID_ARGUMENT, "base");
    }

    @Test
    void unusableBaseIsFailedPrecondition() throws Exception {
        assertNames(submit(b -> b.setBase("/nonexistent/model")), Status.Code.FAILED_PRECONDITION, "base");
        Path empty = Files.createDirectories(Path.of("target/test-models/empty").toAbsolutePath());
        assertNames(submit(b -> b.setBase(empty.toString())), Status.Code.FAILED_PRECONDITION, "base");
        assertNames(submit(b -> b.setBase(empty.toUri().toString())), Status.Code.FAILED_PRECONDITION, "base");
        Path broken =
                Files.createDirectories(Path.of("target/test-models/broken").toAbsolutePath());
        Files.writeString(broken.resolve("config.json"), "{\"hidden_size\": \"wide\"}");
        StatusRuntimeException e = submit(b -> b.setBase(broken.toString()));
        assertNames(e, Status.Code.FAILED_PRECONDITION, "base");
        assertTrue(
                e.getStatus().getDescription().contains("config.json"),
                e.getStatus().getDescription());
    }

    @Test
    void unknownJobsAreNotFound() {
        StatusRuntimeException e = assertThrows(
                StatusRuntimeException.class,
                () -> trainer.watchJob(WatchJobRequest.newBuilder()
                                .setJobId("job-nope")
                                .build())
                        .hasNext());
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
        e = assertThrows(
                StatusRuntimeException.class,
                () -> trainer.cancelJob(
                        CancelJobRequest.newBuilder().setJobId("job-nope").build()));
        assertEquals(Status.Code.NOT_FOUND, e.getStatus().getCode());
    }
}
