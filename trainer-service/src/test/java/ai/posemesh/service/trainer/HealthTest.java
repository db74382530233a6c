package ai.posemesh.service.trainer;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.is;

import ai.posemesh.testkit.KafkaTestResource;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import org.junit.jupiter.api.Test;

/** The trainer-service starts and answers its health endpoints; ready means Kafka answers and the topics exist. */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
class HealthTest {

    @Test
    void liveAndReady() throws InterruptedException {
        TestSupport.awaitReady(java.time.Duration.ofSeconds(60));
        given().when().get("/q/health/live").then().statusCode(200).body("status", is("UP"));
        given().when()
                .get("/q/health/ready")
                .then()
                .statusCode(200)
                .body("status", is("UP"))
                .body("checks.find { it.name == 'posemesh-trainer kafka' }.status", is("UP"));
    }
}
