package ai.posemesh.service.inference.grpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.GenerateRequest;
import ai.posemesh.proto.inference.v1.GenerateResponse;
import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.SamplingParams;
import ai.posemesh.service.inference.InferenceRuntime;
import ai.posemesh.service.inference.Rpc;
import ai.posemesh.service.inference.TestModels;
import ai.posemesh.testkit.TinyModels;
import com.google.rpc.ErrorInfo;
import io.grpc.Context;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import jakarta.inject.Inject;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The token budget (262144 in tests): refusal when full, and the slot freed at once by cancel or deadline. */
@QuarkusTest
class AdmissionTest {

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    @Inject
    InferenceRuntime runtime;

    @BeforeEach
    void load() throws Exception {
        TestModels.ensureLoaded(inference, TestModels.LONG);
    }

    /** prompt 10 + max_new_tokens: holds that many tokens of the budget while it runs. */
    static GenerateRequest big(int maxNew) {
        return GenerateRequest.newBuilder()
                .setModel(TestModels.LONG)
                .setPrompt(Rpc.ids(TinyModels.ids(10, 1)))
                .setSampling(SamplingParams.newBuilder()
                        .setMaxNewTokens(maxNew)
                        .setTemperature(0)
                        .setIgnoreEos(true))
                .build();
    }

    long inUse() {
        return runtime.engine().budget().inUse();
    }

    void awaitBudgetFree() throws InterruptedException {
        Rpc.awaitReserved(runtime.engine().budget(), 0, "the slot is freed");
    }

    @Test
    void overBudgetIsRefusedAtOnceAndACancelledStreamFreesItsSlot() throws Exception {
        try (Context.CancellableContext call = Context.current().withCancellation()) {
            Iterator<GenerateResponse> a = call.call(() -> inference.generate(big(200_000)));
            assertTrue(a.next().hasPrefill()); // admitted: the budget holds its 200010 tokens
            assertEquals(200_010, inUse());
            assertTrue(nextToken(a).hasToken());

            ErrorInfo info = Rpc.refused(
                    Status.Code.RESOURCE_EXHAUSTED,
                    "TOKEN_BUDGET_EXHAUSTED",
                    () -> inference.generate(big(100_000)).hasNext());
            assertEquals("100010", info.getMetadataOrThrow("requested_tokens"));
            assertEquals("262144", info.getMetadataOrThrow("budget_tokens"));
            assertEquals("200010", info.getMetadataOrThrow("in_use_tokens"));
            call.cancel(null);
        }
        awaitBudgetFree();
        try (Context.CancellableContext call = Context.current().withCancellation()) {
            Iterator<GenerateResponse> b = call.call(() -> inference.generate(big(100_000)));
            assertTrue(b.next().hasPrefill(), "the request refused before is admitted now");
            assertEquals(100_010, inUse());
            call.cancel(null);
        }
        awaitBudgetFree();
    }

    @Test
    void aPassedDeadlineFreesTheSlot() throws Exception {
        Iterator<GenerateResponse> c =
                inference.withDeadlineAfter(1, TimeUnit.SECONDS).generate(big(150_000));
        StatusRuntimeException e = assertThrows(StatusRuntimeException.class, () -> {
            while (c.hasNext()) {
                c.next();
            }
        });
        assertEquals(Status.Code.DEADLINE_EXCEEDED, e.getStatus().getCode());
        awaitBudgetFree();
    }

    static GenerateResponse nextToken(Iterator<GenerateResponse> it) {
        GenerateResponse r;
        do {
            r = it.next();
        } while (!r.hasToken());
        return r;
    }
}
