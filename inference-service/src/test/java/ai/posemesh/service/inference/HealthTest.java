package ai.posemesh.service.inference;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.proto.inference.v1.InferenceGrpc;
import ai.posemesh.proto.inference.v1.ListModelsRequest;
import ai.posemesh.proto.inference.v1.ModelInfo;
import ai.posemesh.proto.inference.v1.UnloadModelRequest;
import grpc.health.v1.HealthGrpc;
import grpc.health.v1.HealthOuterClass.HealthCheckRequest;
import grpc.health.v1.HealthOuterClass.HealthCheckResponse.ServingStatus;
import grpc.reflection.v1alpha.MutinyServerReflectionGrpc;
import grpc.reflection.v1alpha.Reflection.ServerReflectionRequest;
import grpc.reflection.v1alpha.Reflection.ServerReflectionResponse;
import io.quarkus.grpc.GrpcClient;
import io.quarkus.test.junit.QuarkusTest;
import io.smallrye.mutiny.Multi;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** gRPC health is NOT_SERVING (readiness DOWN) while no model is loaded and SERVING once LoadModel succeeds. */
@QuarkusTest
class HealthTest {

    @GrpcClient("inference")
    InferenceGrpc.InferenceBlockingStub inference;

    @GrpcClient("inference")
    HealthGrpc.HealthBlockingStub health;

    @GrpcClient("inference")
    MutinyServerReflectionGrpc.MutinyServerReflectionStub reflection;

    ServingStatus status(String service) {
        return health.check(HealthCheckRequest.newBuilder().setService(service).build())
                .getStatus();
    }

    @Test
    void servingOnlyWithAModel() throws Exception {
        for (ModelInfo m :
                inference.listModels(ListModelsRequest.getDefaultInstance()).getModelsList()) {
            inference.unloadModel(
                    UnloadModelRequest.newBuilder().setModel(m.getName()).build());
        }
        assertEquals(ServingStatus.NOT_SERVING, status(""));
        assertEquals(ServingStatus.NOT_SERVING, status(InferenceGrpc.SERVICE_NAME));
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
        given().when().get("/q/health/ready").then().statusCode(503);

        TestModels.ensureLoaded(inference, TestModels.TINY);
        assertEquals(ServingStatus.SERVING, status(""));
        assertEquals(ServingStatus.SERVING, status(InferenceGrpc.SERVICE_NAME));
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", is("UP"))
                .body("checks.find { it.name == 'posemesh-inference models' }.data.models", is("tiny"));
    }

    @Test
    void reflectionListsTheInferenceService() {
        ServerReflectionResponse r = reflection
                .serverReflectionInfo(Multi.createFrom()
                        .item(ServerReflectionRequest.newBuilder()
                                .setListServices("*")
                                .build()))
                .collect()
                .first()
                .await()
                .atMost(Duration.ofSeconds(10));
        assertTrue(
                r.getListServicesResponse().getServiceList().stream()
                        .anyMatch(s -> s.getName().equals(InferenceGrpc.SERVICE_NAME)),
                r.toString());
    }
}
