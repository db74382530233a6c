package ai.posemesh.train.loop;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.Engines;
import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.config.LlamaConfig;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.io.Safetensors;
import ai.posemesh.train.TinySetup;
import ai.posemesh.train.TrainException;
import ai.posemesh.train.TrainListener;
import ai.posemesh.train.TrainSpec;
import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainerTest {

    @TempDir
    static Path tmp;

    static Path base;
    static Path corpus;

    @BeforeAll
    static void setup() throws Exception {
        base = TinySetup.base(tmp.resolve("base"), 64);
        corpus = TinySetup.corpus(tmp.resolve("corpus.jsonl"), 20, 40);
    }

    static TrainSpec spec(TrainSpec.Method method, String rope, int lc, int lt, int steps, Path out) {
        return new TrainSpec(
                base,
                method,
                rope,
                lc,
                lt,
                2,
                steps,
                3e-3,
                2,
                8,
                4,
                1.0,
                0.0,
                7,
                corpus.toString(),
                out,
                2,
                "float32",
                0.2);
    }

    /** Records every callback. */
    static final class Recorder implements TrainListener {
        final List<Integer> steps = new ArrayList<>();
        final List<Double> losses = new ArrayList<>();
        final List<Checkpoint> checkpoints = new ArrayList<>();
        int firstStep;

        @Override
        public void onStart(int first, int total) {
            firstStep = first;
        }

        @Override
        public void onStep(StepStats s) {
            steps.add(s.step());
            losses.add(s.loss());
            assertTrue(s.tokensPerSecond() > 0 && s.etaSeconds() >= 0 && Double.isFinite(s.loss()));
        }

        @Override
        public void onCheckpoint(Checkpoint c) {
            checkpoints.add(c);
        }
    }

    @Test
    void lossFallsAndCheckpointsAreCompleteHfDirectories() throws Exception {
        Path out = tmp.resolve("pose-run");
        Recorder r = new Recorder();
        TrainListener.Checkpoint last = Trainer.run(spec(TrainSpec.Method.POSE, "linear", 32, 128, 40, out), tmp, r);
        double first = r.losses.get(0);
        double end =
                r.losses.subList(35, 40).stream().mapToDouble(x -> x).average().orElseThrow();
        assertTrue(first > 4.5, "a random byte-level model starts near ln(259) = 5.56, got " + first);
        assertTrue(end < first - 1.5, "loss must fall: first " + first + ", last five " + end);
        assertEquals(20, r.checkpoints.size(), "every 2 steps");
        assertEquals(40, last.step());
        assertTrue(last.last());

        // a complete HF directory with the target's scaling, and a manifest that hashes every file
        LlamaConfig c = HfCheckpoint.readConfig(last.dir());
        assertEquals("linear", c.rope().type());
        assertEquals(4.0, c.rope().requireDouble("factor"));
        assertEquals(32, c.originalMaxPositionEmbeddings());
        assertEquals(128, c.maxPositionEmbeddings());
        // the notification carries what the config says, and a checkpoint found on disk is described the same way
        assertEquals(c.rope().toJson(), last.rope().toJson());
        assertEquals(128, last.maxPositionEmbeddings());
        TrainListener.Checkpoint found = Checkpoints.describe(last.dir());
        assertEquals(last.rope().toJson(), found.rope().toJson());
        assertEquals(
                List.of(last.step(), last.manifestSha256(), last.maxPositionEmbeddings(), last.last()),
                List.of(found.step(), found.manifestSha256(), found.maxPositionEmbeddings(), found.last()));
        assertTrue(Files.isRegularFile(last.dir().resolve("tokenizer.json")));
        JsonNode manifest = CheckpointManifest.read(last.dir());
        assertEquals(CheckpointManifest.sha256(last.dir().resolve("manifest.json")), last.manifestSha256());
        CheckpointManifest.hashFiles(last.dir())
                .forEach((file, sha) ->
                        assertEquals(sha, manifest.get("files").get(file).asText(), file));
        assertEquals("pose(N=2, Lc=32, Lt=128)", manifest.get("sampler").asText());
        assertEquals(40, manifest.get("losses").size());
        assertTrue(manifest.get("data").get("held_out_ids").size() >= 1, "held-out documents are recorded");
    }

    @Test
    void trainsOnAFreshThread() throws Exception {
        // torch's grad mode is per thread and on by default on new threads: services train on their own threads
        java.util.concurrent.atomic.AtomicReference<Throwable> error =
                new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger step = new java.util.concurrent.atomic.AtomicInteger();
        Thread t = new Thread(() -> {
            try {
                step.set(Trainer.run(
                                spec(TrainSpec.Method.RANDPOS, "ntk", 32, 128, 3, tmp.resolve("thread")),
                                tmp,
                                new Recorder())
                        .step());
            } catch (Throwable e) {
                error.set(e);
            }
        });
        t.start();
        t.join();
        if (error.get() != null) {
            throw new AssertionError("training on a new thread failed", error.get());
        }
        assertEquals(3, step.get());
    }

    @Test
    void zeroStepsWritesThePiOnlyCheckpoint() throws Exception {
        Recorder r = new Recorder();
        TrainListener.Checkpoint c =
                Trainer.run(spec(TrainSpec.Method.NONE, "yarn", 32, 256, 0, tmp.resolve("pi-only")), tmp, r);
        assertEquals(0, c.step());
        assertTrue(r.steps.isEmpty());
        LlamaConfig config = HfCheckpoint.readConfig(c.dir());
        assertEquals("yarn", config.rope().type());
        assertEquals(8.0, config.rope().requireDouble("factor"));
        try (NDManager m = Engines.newManager()) {
            var a = Safetensors.readAll(base.resolve("model.safetensors"), m);
            var b = Safetensors.readAll(c.dir().resolve("model.safetensors"), m);
            for (String k : a.keySet()) {
                assertArrayEquals(a.get(k).toFloatArray(), b.get(k).toFloatArray(), 0f, k);
            }
        }
    }

    @Test
    void badJobsAreClearErrors() {
        Path out = tmp.resolve("bad");
        TrainException ltLc = assertThrows(
                TrainException.class,
                () -> Trainer.run(spec(TrainSpec.Method.POSE, "linear", 64, 32, 1, out), tmp, new Recorder()));
        assertEquals(TrainException.Kind.INVALID_ARGUMENT, ltLc.kind());
        assertEquals("target_len", ltLc.field());
        TrainException rope = assertThrows(
                TrainException.class,
                () -> Trainer.run(spec(TrainSpec.Method.POSE, "warp", 32, 64, 1, out), tmp, new Recorder()));
        assertEquals("rope", rope.field());
        assertThrows(TrainException.class, () -> TrainSpec.Method.parse("skip"));
        TrainException longDocs = assertThrows(
                TrainException.class,
                () -> Trainer.run(spec(TrainSpec.Method.FULL, "linear", 32, 50_000, 1, out), tmp, new Recorder()));
        assertEquals(TrainException.Kind.FAILED_PRECONDITION, longDocs.kind());
        assertTrue(longDocs.getMessage().contains("no training document"), longDocs.getMessage());
        TrainSpec missingBase = new TrainSpec(
                tmp.resolve("nope"),
                TrainSpec.Method.POSE,
                "linear",
                32,
                64,
                2,
                1,
                1e-3,
                0,
                4,
                4,
                1,
                0,
                1,
                corpus.toString(),
                out,
                0,
                "float32",
                0);
        TrainException noBase = assertThrows(TrainException.class, () -> Trainer.run(missingBase, tmp, new Recorder()));
        assertEquals(TrainException.Kind.FAILED_PRECONDITION, noBase.kind());
        assertEquals("base", noBase.field());
        TrainException noCorpus = assertThrows(
                TrainException.class,
                () -> Trainer.loadCorpus(tmp.resolve("none.jsonl").toString(), tmp));
        assertEquals(TrainException.Kind.FAILED_PRECONDITION, noCorpus.kind(), "a corpus failure is the job's");
        assertEquals("data", noCorpus.field());
        assertTrue(noCorpus.getMessage().startsWith("data: " + tmp.resolve("none.jsonl")), noCorpus.getMessage());
        assertTrue(!Files.exists(out), "a failed job writes nothing");
    }

    /**
     * Kill -9 a training process after its checkpoint at step 4, resume in this JVM, and compare with an uninterrupted
     * run: the resumed job starts at step 5, and the step losses and final weights are the same — no step lost or
     * repeated.
     */
    @Test
    void resumeAfterKillLosesAndRepeatsNoStep() throws Exception {
        Path straight = tmp.resolve("straight");
        Recorder full = new Recorder();
        TrainListener.Checkpoint reference =
                Trainer.run(spec(TrainSpec.Method.POSE, "yarn", 32, 128, 8, straight), tmp, full);

        Path killed = tmp.resolve("killed");
        Process p = new ProcessBuilder(
                        Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                        "-Dai.djl.offline=true",
                        "-cp",
                        System.getProperty("java.class.path"),
                        TrainMain.class.getName(),
                        base.toString(),
                        corpus.toString(),
                        killed.toString(),
                        tmp.toString())
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("killed.log").toFile())
                .start();
        Path marker = Checkpoints.dirFor(killed, 4).resolve("manifest.json");
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!Files.exists(marker) && p.isAlive() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertTrue(Files.exists(marker), "child never reached step 4: " + Files.readString(tmp.resolve("killed.log")));
        Thread.sleep(250);
        p.destroyForcibly().waitFor(); // SIGKILL: no shutdown hooks, mid-step or mid-checkpoint
        assertTrue(Checkpoints.latest(killed)
                        .orElseThrow()
                        .getFileName()
                        .toString()
                        .compareTo("checkpoint-000004")
                >= 0);
        int resumeFrom = Integer.parseInt(Checkpoints.latest(killed)
                .orElseThrow()
                .getFileName()
                .toString()
                .substring("checkpoint-".length()));

        Recorder resumed = new Recorder();
        TrainListener.Checkpoint last =
                Trainer.run(spec(TrainSpec.Method.POSE, "yarn", 32, 128, 8, killed), tmp, resumed);
        assertEquals(resumeFrom + 1, resumed.firstStep);
        List<Integer> expectedSteps = new ArrayList<>();
        for (int s = resumeFrom + 1; s <= 8; s++) {
            expectedSteps.add(s);
        }
        assertEquals(expectedSteps, resumed.steps, "exactly the remaining steps, once each");
        JsonNode a = ConfigJson.read(reference.dir().resolve("manifest.json")).get("losses");
        JsonNode b = ConfigJson.read(last.dir().resolve("manifest.json")).get("losses");
        assertEquals(8, b.size());
        for (int i = 0; i < 8; i++) {
            assertEquals(a.get(i).asDouble(), b.get(i).asDouble(), 1e-5, "loss of step " + (i + 1));
        }
        try (NDManager m = Engines.newManager()) {
            Map<String, ai.djl.ndarray.NDArray> wa =
                    Safetensors.readAll(reference.dir().resolve("model.safetensors"), m);
            Map<String, ai.djl.ndarray.NDArray> wb =
                    Safetensors.readAll(last.dir().resolve("model.safetensors"), m);
            for (String k : wa.keySet()) {
                assertArrayEquals(wa.get(k).toFloatArray(), wb.get(k).toFloatArray(), 1e-5f, k);
            }
        }
    }

    /** The child process of the kill test: the same job, run until killed. */
    public static final class TrainMain {
        public static void main(String[] args) {
            TrainSpec s = new TrainSpec(
                    Path.of(args[0]),
                    TrainSpec.Method.POSE,
                    "yarn",
                    32,
                    128,
                    2,
                    8,
                    3e-3,
                    2,
                    8,
                    4,
                    1.0,
                    0.0,
                    7,
                    args[1],
                    Path.of(args[2]),
                    2,
                    "float32",
                    0.2);
            Trainer.run(s, Path.of(args[3]), new TrainListener() {
                @Override
                public void onStep(StepStats st) {
                    if (st.step() >= 4) {
                        try {
                            Thread.sleep(150); // slow steps from here on, so the kill lands mid-run
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        }
                    }
                }
            });
        }
    }
}
