package ai.posemesh.service.inference.grpc;

import ai.posemesh.serve.InferenceException;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.Code;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import org.jboss.logging.Logger;

/**
 * Engine errors as gRPC statuses: the kind is the code, the message the description, plus a google.rpc.ErrorInfo
 * (domain inference.posemesh.ai, the reason and its metadata) and, for a bad request field, a google.rpc.BadRequest
 * field violation. Anything else is INTERNAL (and logged): the client learns nothing it could act on.
 */
final class GrpcErrors {

    static final String DOMAIN = "inference.posemesh.ai";
    private static final Logger LOG = Logger.getLogger(GrpcErrors.class);

    private GrpcErrors() {}

    static StatusRuntimeException of(Throwable t) {
        if (t instanceof StatusRuntimeException s) {
            return s;
        }
        if (t instanceof InferenceException e) {
            return of(e);
        }
        LOG.error("request failed", t);
        return Status.INTERNAL.withDescription("the server failed: " + t).asRuntimeException();
    }

    static StatusRuntimeException of(InferenceException e) {
        Code code = Code.valueOf(e.kind().name());
        com.google.rpc.Status.Builder status = com.google.rpc.Status.newBuilder()
                .setCode(code.getNumber())
                .setMessage(e.getMessage())
                .addDetails(Any.pack(ErrorInfo.newBuilder()
                        .setDomain(DOMAIN)
                        .setReason(e.reason().name())
                        .putAllMetadata(e.metadata())
                        .build()));
        if (code == Code.INVALID_ARGUMENT && e.field() != null) {
            status.addDetails(Any.pack(BadRequest.newBuilder()
                    .addFieldViolations(BadRequest.FieldViolation.newBuilder()
                            .setField(e.field())
                            .setDescription(e.getMessage()))
                    .build()));
        }
        return StatusProto.toStatusRuntimeException(status.build());
    }
}
