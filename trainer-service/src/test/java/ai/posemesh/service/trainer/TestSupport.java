package ai.posemesh.service.trainer;

import static io.restassured.RestAssured.given;

import java.time.Duration;

public final class TestSupport {

    private TestSupport() {}

    /** Readiness turns UP once the status view has read its topic; a test that queues jobs waits for it. */
    public static void awaitReady(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        int code = 0;
        while (System.nanoTime() < deadline) {
            code = given().when().get("/q/health/ready").then().extract().statusCode();
            if (code == 200) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("trainer-service not ready within " + timeout + " (last status " + code + ")");
    }
}
