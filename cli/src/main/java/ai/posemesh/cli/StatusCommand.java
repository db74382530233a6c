package ai.posemesh.cli;

import ai.posemesh.cli.mesh.MeshControl;
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "status",
        mixinStandardHelpOptions = true,
        description = {
            "Show the mesh that `pose up` runs in DIR: each service's pid, whether it is ready (its health check, "
                    + "asked now) and its endpoints.",
            "Exit status 0 when every service is ready, 1 when the mesh runs but a service is down or not ready, 3 "
                    + "when no mesh runs in DIR."
        })
final class StatusCommand implements Callable<Integer> {

    static final int EXIT_NOT_RUNNING = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MeshDir meshDir;

    @Option(
            names = "--json",
            description = "One JSON object: {\"dir\", \"state\", \"running\", \"ready\", \"supervisor_pid\", "
                    + "\"services\": [{\"name\", \"pid\", \"health\", \"endpoints\", \"log\"}]}.")
    boolean json;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        Optional<MeshControl.Status> found = MeshControl.status(meshDir.dir);
        boolean running = found.isPresent() && found.get().anythingRuns();
        if (json) {
            ObjectNode o = ConfigJson.MAPPER.createObjectNode();
            o.put("dir", meshDir.dir.toAbsolutePath().normalize().toString());
            o.put(
                    "state",
                    found.map(s -> running ? s.state().state() : "stopped").orElse("none"));
            o.put("running", running);
            o.put("ready", found.map(MeshControl.Status::ready).orElse(false));
            found.ifPresent(s -> {
                if (s.state().supervisor() != null) {
                    o.put("supervisor_pid", s.state().supervisor().pid());
                }
                ArrayNode services = o.putArray("services");
                for (MeshControl.ServiceStatus svc : s.services()) {
                    ObjectNode n = services.addObject();
                    n.put("name", svc.service().name());
                    n.put("pid", svc.service().process().pid());
                    n.put("health", svc.health());
                    svc.service().endpoints().forEach(n.putObject("endpoints")::put);
                    n.put("log", svc.service().log());
                }
            });
            out.println(ConfigJson.MAPPER.writeValueAsString(o));
        } else if (!running) {
            out.println("no mesh runs in " + meshDir.dir + (found.isPresent() ? " (its processes are gone)" : "")
                    + "; start one with `./pose up`");
        } else {
            MeshControl.Status s = found.get();
            out.printf(
                    "mesh in %s: %s%s%n",
                    meshDir.dir,
                    s.ready() ? "ready" : s.state().state(),
                    s.supervised()
                            ? " (supervisor pid " + s.state().supervisor().pid() + ")"
                            : " (supervisor gone)");
            out.printf("  %-9s %-8s %-10s %s%n", "service", "pid", "health", "endpoints");
            for (MeshControl.ServiceStatus svc : s.services()) {
                StringBuilder where = new StringBuilder();
                svc.service()
                        .endpoints()
                        .forEach((kind, e) -> where.append(where.isEmpty() ? "" : ", ")
                                .append(kind)
                                .append(' ')
                                .append(e));
                out.printf(
                        "  %-9s %-8d %-10s %s%n",
                        svc.service().name(), svc.service().process().pid(), svc.health(), where);
            }
        }
        out.flush();
        if (!running) {
            return EXIT_NOT_RUNNING;
        }
        return found.get().ready() ? 0 : 1;
    }
}
