package ai.posemesh.service.inference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.posemesh.proto.inference.v1.Final;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.Prompt;
import ai.posemesh.proto.inference.v1.TokenIds;
import ai.posemesh.serve.admission.TokenBudget;
import com.google.protobuf.Any;
import com.google.rpc.BadRequest;
import com.google.rpc.ErrorInfo;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.protobuf.StatusProto;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.function.Executable;

/** Helpers for the tests' gRPC calls: prompts, collected streams, error details. */
public final class Rpc {

    private Rpc() {}

    /** Waits (up to 10 s) until the budget holds exactly {@code tokens}, then asserts it. */
    public static void awaitReserved(TokenBudget budget, long tokens, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (budget.inUse() != tokens && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(tokens, budget.inUse(), what);
    }

    public static Prompt ids(long[] ids) {
        TokenIds.Builder t = TokenIds.newBuilder();
        for (long id : ids) {
            t.addIds((int) id);
        }
        return Prompt.newBuilder().setTokens(t).build();
    }

    /** A whole Generate stream: progress events, tokens, the final event. */
    public record Stream(List<int[]> prefill, List<Long> ids, String text, List<Double> logprobs, Final fin) {}

    public static Stream collect(Iterator<GenerateResponse> it) {
        List<int[]> prefill = new ArrayList<>();
        List<Long> ids = new ArrayList<>();
        List<Double> lps = new ArrayList<>();
        StringBuilder text = new StringBuilder();
        Final fin = null;
        while (it.hasNext()) {
            GenerateResponse r = it.next();
            switch (r.getEventCase()) {
                case PREFILL ->
                    prefill.add(new int[] {
                        r.getPrefill().getTokensDone(), r.getPrefill().getTokensTotal()
                    });
                case TOKEN -> {
                    ids.add((long) r.getToken().getId());
                    lps.add(r.getToken().getLogprob());
                    text.append(r.getToken().getText());
                }
                case FINAL -> fin = r.getFinal();
                default -> throw new AssertionError("empty event");
            }
        }
        assertNotNull(fin, "the stream ends with a Final event");
        return new Stream(prefill, ids, text.toString(), lps, fin);
    }

    /** The call fails with {@code code} and an ErrorInfo of {@code reason} in domain inference.posemesh.ai. */
    public static ErrorInfo refused(Status.Code code, String reason, Executable call) {
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, call);
        assertEquals(code, e.getStatus().getCode(), e.toString());
        ErrorInfo info = detail(e, ErrorInfo.class);
        assertNotNull(info, "no ErrorInfo in " + e);
        assertEquals("inference.posemesh.ai", info.getDomain());
        assertEquals(reason, info.getReason(), e.getStatus().getDescription());
        return info;
    }

    public static <T extends com.google.protobuf.Message> T detail(StatusRuntimeException e, Class<T> type) {
        com.google.rpc.Status s = StatusProto.fromThrowable(e);
        if (s == null) {
            return null;
        }
        try {
            for (Any any : s.getDetailsList()) {
                if (any.is(type)) {
                    return any.unpack(type);
                }
            }
        } catch (com.google.protobuf.InvalidProtocolBufferException x) {
            throw new AssertionError(x);
        }
        return null;
    }

    public static BadRequest badRequest(StatusRuntimeException e) {
        return detail(e, BadRequest.class);
    }
}
