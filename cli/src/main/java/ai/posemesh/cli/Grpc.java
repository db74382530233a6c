package ai.posemesh.cli;

import com.google.protobuf.Any;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.rpc.ErrorInfo;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.protobuf.StatusProto;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** What the remote commands share: endpoints, plaintext channels, and gRPC failures as one-line CLI errors. */
final class Grpc {

    private Grpc() {}

    /** HOST:PORT (or any gRPC target URI) as given; a bare host gets {@code defaultPort}. */
    static String target(String endpoint, int defaultPort) {
        String e = endpoint.trim();
        if (e.isEmpty()) {
            throw new PoseCommand.CliException("--endpoint: expected HOST:PORT, got an empty string");
        }
        if (e.contains("://") || e.matches(".*:\\d+")) {
            return e;
        }
        if (e.contains(":") && !e.endsWith("]")) {
            throw new PoseCommand.CliException("--endpoint: expected HOST:PORT, got " + endpoint);
        }
        return e + ":" + defaultPort;
    }

    static ManagedChannel channel(String target) {
        try {
            return NettyChannelBuilder.forTarget(target).usePlaintext().build();
        } catch (IllegalArgumentException e) {
            throw new PoseCommand.CliException("--endpoint: " + e.getMessage());
        }
    }

    static void close(ManagedChannel channel) {
        channel.shutdownNow();
        try {
            channel.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Exit status for a failed call: 2 when the service rejected the request itself (INVALID_ARGUMENT,
     * FAILED_PRECONDITION, NOT_FOUND, OUT_OF_RANGE: sending it again will fail again), 1 otherwise (UNAVAILABLE,
     * DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, ...).
     */
    static int exitCode(Status.Code code) {
        return switch (code) {
            case INVALID_ARGUMENT, FAILED_PRECONDITION, NOT_FOUND, OUT_OF_RANGE -> PoseCommand.EXIT_BAD_INPUT;
            default -> 1;
        };
    }

    /**
     * {@code CODE: description}, the cause when the description does not already say it, and with
     * {@code withErrorInfo} the google.rpc.ErrorInfo details: {@code ; reason R key=value ...} (metadata in the
     * order the service sent it).
     */
    static String describe(StatusRuntimeException e, boolean withErrorInfo) {
        Status s = e.getStatus();
        StringBuilder m = new StringBuilder(s.getCode().name());
        String d = s.getDescription();
        if (d != null && !d.isBlank()) {
            m.append(": ").append(d);
        }
        Throwable cause = s.getCause();
        if (cause != null && cause.getMessage() != null && (d == null || !d.contains(cause.getMessage()))) {
            m.append(" (").append(cause.getMessage()).append(')');
        }
        if (withErrorInfo) {
            com.google.rpc.Status details = StatusProto.fromThrowable(e);
            if (details != null) {
                for (Any any : details.getDetailsList()) {
                    if (any.is(ErrorInfo.class)) {
                        try {
                            m.append("; ").append(errorInfo(any.unpack(ErrorInfo.class)));
                        } catch (InvalidProtocolBufferException bad) {
                            m.append("; (unreadable ErrorInfo: ")
                                    .append(bad.getMessage())
                                    .append(')');
                        }
                    }
                }
            }
        }
        return m.toString();
    }

    /** {@code reason R key=value ...}. */
    static String errorInfo(ErrorInfo info) {
        StringBuilder m = new StringBuilder("reason ").append(info.getReason().isEmpty() ? "-" : info.getReason());
        for (Map.Entry<String, String> kv : info.getMetadataMap().entrySet()) {
            m.append(' ').append(kv.getKey()).append('=').append(kv.getValue());
        }
        return m.toString();
    }

    /**
     * A failed call as a CLI error: {@link #describe} and {@link #exitCode}; when the failure is not the request's
     * fault (exit 1) the line says which service at which address, so a person knows where to look.
     */
    static PoseCommand.CliException error(
            StatusRuntimeException e, String service, String target, boolean withErrorInfo) {
        int exit = exitCode(e.getStatus().getCode());
        String m = describe(e, withErrorInfo);
        return new PoseCommand.CliException(exit == 1 ? m + "; " + service + " at " + target : m, exit);
    }
}
