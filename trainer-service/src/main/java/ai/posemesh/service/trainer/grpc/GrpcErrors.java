package ai.posemesh.service.trainer.grpc;

import ai.posemesh.train.TrainException;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;

/**
 * Library errors as gRPC statuses. A {@link TrainException} becomes INVALID_ARGUMENT or FAILED_PRECONDITION whose
 * description is "field: reason", with google.rpc.ErrorInfo (reason, metadata.field) and, for a bad field,
 * google.rpc.BadRequest details naming {@code spec.<field>}.
 */
public final class GrpcErrors {

    public static final String DOMAIN = "trainer.posemesh.ai";

    private GrpcErrors() {}

    public static StatusRuntimeException of(TrainException e) {
        Code code = e.kind() == TrainException.Kind.INVALID_ARGUMENT ? Code.INVALID_ARGUMENT : Code.FAILED_PRECONDITION;
        String field = e.field() == null ? "" : e.field();
        ErrorInfo.Builder info = ErrorInfo.newBuilder()
                .setDomain(DOMAIN)
                .setReason(code == Code.INVALID_ARGUMENT ? "INVALID_JOB_SPEC" : "JOB_PRECONDITION");
        com.google.rpc.Status.Builder status =
                com.google.rpc.Status.newBuilder().setCode(code.getNumber()).setMessage(e.getMessage());
        if (!field.isEmpty()) {
            info.putMetadata("field", field);
        }
        status.addDetails(Any.pack(info.build()));
        if (!field.isEmpty()) {
            status.addDetails(Any.pack(BadRequest.newBuilder()
                    .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                            .setField("spec." + field)
                            .setDescription(e.getMessage()))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }

    public static StatusRuntimeException status(io.grpc.Status status, String description) {
        return status.withDescription(description).asRuntimeException();
    }
}
