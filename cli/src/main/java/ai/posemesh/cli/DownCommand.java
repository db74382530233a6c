package ai.posemesh.cli;

import ai.posemesh.cli.mesh.MeshControl;
import java.time.Duration;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
        name = "down",
        mixinStandardHelpOptions = true,
        description = {
            "Stop the mesh that `pose up` runs in DIR (in the background or in another terminal): its supervisor "
                    + "stops eval-, trainer-, inference-service and Kafka in that order, each gracefully (a training "
                    + "job stops after its step and resumes from its last checkpoint next time). Anything still "
                    + "running after that is stopped by pid; no process is left behind. The data stays in DIR.",
            "Exit status 0 when nothing of the mesh runs any more (also when none ran), 1 when a process could "
                    + "not be stopped."
        })
final class DownCommand implements Callable<Integer> {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin
    MeshDir meshDir;

    @Option(
            names = "--timeout",
            defaultValue = "120",
            paramLabel = "SECONDS",
            description = "How long the supervisor may take to stop the services before they are killed "
                    + "(default: ${DEFAULT-VALUE}).")
    int timeoutSeconds;

    @Override
    public Integer call() throws Exception {
        var out = spec.commandLine().getOut();
        for (String line : MeshControl.down(meshDir.dir, Duration.ofSeconds(timeoutSeconds))) {
            out.println(line);
        }
        out.flush();
        return 0;
    }
}
