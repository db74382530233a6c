package ai.posemesh.service.inference.health;

import ai.posemesh.serve.registry.LoadedModel;
import ai.posemesh.service.inference.InferenceRuntime;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import java.util.stream.Collectors;
import org.eclipse.microprofile.health.HealthCheck;
import org.eclipse.microprofile.health.HealthCheckResponse;
import org.eclipse.microprofile.health.HealthCheckResponseBuilder;
import org.eclipse.microprofile.health.Readiness;

/** Ready once a model is loaded, like gRPC health; names the models, or the last start-up load failure. */
@Readiness
@ApplicationScoped
public class ModelsReadiness implements HealthCheck {

    @Inject
    InferenceRuntime runtime;

    @Override
    public HealthCheckResponse call() {
        HealthCheckResponseBuilder b = HealthCheckResponse.named("posemesh-inference models");
        var models = runtime.registry().list();
        b.status(!models.isEmpty())
                .withData("models", models.stream().map(LoadedModel::name).collect(Collectors.joining(",")))
                .withData("token_budget", runtime.engine().budget().capacity())
                .withData("tokens_in_use", runtime.engine().budget().inUse());
        if (runtime.startupError() != null) {
            b.withData("startup_error", runtime.startupError());
        }
        return b.build();
    }
}
