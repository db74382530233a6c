package ai.posemesh.service.eval.report;

import ai.posemesh.service.eval.EvalConfig;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.handler.FileSystemAccess;
import io.vertx.ext.web.handler.StaticHandler;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import jakarta.inject.Inject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Serves the reports root at {@code /reports/} (index.html at /reports/ and /reports/index.html), uncached. */
@ApplicationScoped
public class ReportRoutes {

    @Inject
    EvalConfig config;

    void routes(@Observes Router router) throws IOException {
        Path root =
                Files.createDirectories(config.reportsRoot().toAbsolutePath().normalize());
        router.route("/reports").handler(rc -> rc.redirect(Reports.URL_PREFIX));
        router.route(Reports.URL_PREFIX + "*")
                .handler(StaticHandler.create(FileSystemAccess.ROOT, root.toString())
                        .setCachingEnabled(false)
                        .setIndexPage("index.html")
                        .setDefaultContentEncoding("UTF-8"));
    }
}
