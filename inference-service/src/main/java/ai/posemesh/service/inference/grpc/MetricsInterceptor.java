package ai.posemesh.service.inference.grpc;

import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.service.inference.metrics.InferenceMetrics;
import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import io.grpc.protobuf.StatusProto;
import io.quarkus.grpc.GlobalInterceptor;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Counts every Inference call once when it ends: the status it closed with (and the ErrorInfo reason the service put
 * in its trailers), or CANCELLED when the client cancelled or its deadline passed first.
 */
@ApplicationScoped
@GlobalInterceptor
public class MetricsInterceptor implements ServerInterceptor {

    @Inject
    InferenceMetrics metrics;

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!InferenceGrpc.SERVICE_NAME.equals(call.getMethodDescriptor().getServiceName())) {
            return next.startCall(call, headers);
        }
        String method = call.getMethodDescriptor().getBareMethodName();
        AtomicBoolean counted = new AtomicBoolean();
        ServerCall<Q, R> counting = new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
            @Override
            public void close(Status status, Metadata trailers) {
                if (counted.compareAndSet(false, true)) {
                    metrics.request(
                            InferenceMetrics.GRPC,
                            method,
                            status.getCode().name(),
                            status.isOk() ? null : reason(status, trailers));
                }
                super.close(status, trailers);
            }
        };
        return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
                next.startCall(counting, headers)) {
            @Override
            public void onCancel() {
                if (counted.compareAndSet(false, true)) {
                    metrics.request(
                            InferenceMetrics.GRPC, method, Status.Code.CANCELLED.name(), Status.Code.CANCELLED.name());
                }
                super.onCancel();
            }
        };
    }

    /** The google.rpc.ErrorInfo reason in the trailers, else the status code's name. */
    static String reason(Status status, Metadata trailers) {
        com.google.rpc.Status s = StatusProto.fromStatusAndTrailers(status, trailers);
        for (Any any : s.getDetailsList()) {
            if (any.is(ErrorInfo.class)) {
                try {
                    return any.unpack(ErrorInfo.class).getReason();
                } catch (InvalidProtocolBufferException e) {
                    break;
                }
            }
        }
        return status.getCode().name();
    }
}
