package ai.posemesh.service.eval;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.evaluation.report.ReportWriter;
import ai.posemesh.proto.eval.v1.EvalGrpc;
import ai.posemesh.proto.eval.v1.GetReportRequest;
import ai.posemesh.proto.eval.v1.ListReportsRequest;
import ai.posemesh.proto.eval.v1.RunSuiteRequest;
import ai.posemesh.proto.events.v1.CheckpointPublished;
import ai.posemesh.proto.events.v1.EvalCompleted;
import ai.posemesh.proto.events.v1.Outcome;
import ai.posemesh.proto.model.v1.RopeConfig;
import ai.posemesh.service.eval.kafka.EvalRecords;
import ai.posemesh.testkit.KafkaTestResource;
import ai.posemesh.testkit.TestKafka;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.quarkus.test.common.WithTestResource;
import io.quarkus.test.junit.QuarkusTest;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The checkpoint → evaluation loop over a real Kafka broker and the real inference-service (a child JVM on loopback)
 * with tiny random models: an event published while inference is still down is evaluated once it is up, exactly one
 * EvalCompleted per checkpoint (a redelivery yields none), poisoned events land in the DLQ with their reason, the
 * job's base is measured once, and the report renders in a real browser.
 */
@QuarkusTest
@WithTestResource(KafkaTestResource.class)
@WithTestResource(InferenceProcess.class)
@WithTestResource(TestSuite.class)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EvalFlowTest {

    static final String CHECKPOINTS = "posemesh.checkpoints.v1";
    static final String RESULTS = "posemesh.eval-results.v1";
    static final String DLQ = "posemesh.checkpoints.dlq.v1";
    static final String JOB = "job-flow";
    /**
     * The base's max_position_embeddings: the job's train length, below the suite's longest lengths (perplexity 32,
     * passkey 384), so the base is measured past its window (posemesh.eval.base-past-window, on by default).
     */
    static final int BASE_WINDOW = 16;

    static KafkaProducer<String, byte[]> producer;
    static Path base;
    static Path ckpt10;
    static Path ckpt20;
    static EvalCompleted first;
    static EvalCompleted second;

    static synchronized void setUp() throws Exception {
        if (producer != null) {
            return;
        }
        base = TestModels.model("base-window-" + BASE_WINDOW, 1, -1, BASE_WINDOW);
        ckpt10 = TestModels.model(JOB + "-checkpoint-000010", 2, 10);
        ckpt20 = TestModels.model(JOB + "-checkpoint-000020", 3, 20);
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class.getName());
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class.getName());
        producer = new KafkaProducer<>(p);
    }

    @AfterAll
    static void tearDown() {
        if (producer != null) {
            producer.close();
        }
        // inference stays up for EvalOnDemandTest (same resources, same application, same JVM); the test resource's
        // stop() and a shutdown hook end it
    }

    static CheckpointPublished event(Path dir, int step, String sha) {
        return CheckpointPublished.newBuilder()
                .setCheckpointId(JOB + "-checkpoint-" + String.format("%06d", step))
                .setUri(dir.toUri().toString())
                .setManifestSha256(sha)
                .setBaseModel(base.toUri().toString())
                .setMethod("pose")
                .setRope(RopeConfig.newBuilder().setRopeType("default").setRopeTheta(10000))
                .setTrainLen(16)
                .setTargetLen(32)
                .setStep(step)
                .setTotalSteps(20)
                .setJobId(JOB)
                .build();
    }

    static RecordMetadata publish(String key, byte[] value) throws Exception {
        return producer.send(new ProducerRecord<>(CHECKPOINTS, key, value)).get(30, TimeUnit.SECONDS);
    }

    /** Every record on a topic now (from the beginning), after waiting until {@code until} holds or the timeout. */
    static List<ConsumerRecord<String, byte[]>> read(
            String topic, Duration timeout, Predicate<List<ConsumerRecord<String, byte[]>>> until) {
        Map<String, Object> p = new HashMap<>();
        p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, TestKafka.bootstrapServers());
        p.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        p.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class.getName());
        p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(p)) {
            List<TopicPartition> parts = new ArrayList<>();
            long end = System.nanoTime() + timeout.toNanos();
            while (parts.isEmpty() && System.nanoTime() < end) {
                c.partitionsFor(topic, Duration.ofSeconds(5))
                        .forEach(i -> parts.add(new TopicPartition(topic, i.partition())));
            }
            c.assign(parts);
            c.seekToBeginning(parts);
            do {
                c.poll(Duration.ofMillis(500)).forEach(all::add);
            } while (!until.test(all) && System.nanoTime() < end);
        }
        return all;
    }

    static List<EvalCompleted> results(List<ConsumerRecord<String, byte[]>> records, String key) throws Exception {
        List<EvalCompleted> out = new ArrayList<>();
        for (var r : records) {
            if (r.key().equals(key)) {
                out.add(EvalCompleted.parseFrom(r.value()));
            }
        }
        return out;
    }

    static String header(ConsumerRecord<String, byte[]> r, String name) {
        var h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Waits until the group posemesh-eval committed past the record. */
    static void awaitCommitted(RecordMetadata md) throws Exception {
        try (Admin admin = Admin.create(Map.of("bootstrap.servers", TestKafka.bootstrapServers()))) {
            TopicPartition tp = new TopicPartition(md.topic(), md.partition());
            long end = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (System.nanoTime() < end) {
                OffsetAndMetadata o = admin.listConsumerGroupOffsets("posemesh-eval")
                        .partitionsToOffsetAndMetadata()
                        .get(10, TimeUnit.SECONDS)
                        .get(tp);
                if (o != null && o.offset() > md.offset()) {
                    return;
                }
                Thread.sleep(200);
            }
            throw new AssertionError("posemesh-eval did not commit past " + tp + "@" + md.offset());
        }
    }

    @Test
    @Order(1)
    void anEventPublishedBeforeInferenceAnswersIsEvaluatedOnceItIsUp() throws Exception {
        setUp();
        String sha = TestModels.manifestSha(ckpt10);
        publish(JOB + "-checkpoint-000010", event(ckpt10, 10, sha).toByteArray());
        Thread.sleep(4000); // the worker has the record and keeps trying an inference service that is not there
        given().get("/q/health/ready").then().statusCode(503).body(containsString("does not answer"));
        assertTrue(
                results(read(RESULTS, Duration.ofSeconds(2), l -> false), sha).isEmpty(),
                "nothing evaluated before inference answers");

        InferenceProcess.start(Path.of("target/test-inference.log").toAbsolutePath());
        List<EvalCompleted> got = results(
                read(
                        RESULTS,
                        Duration.ofSeconds(180),
                        l -> l.stream().anyMatch(r -> r.key().equals(sha))),
                sha);
        assertEquals(1, got.size(), "one EvalCompleted");
        first = got.get(0);
        assertEquals(Outcome.OUTCOME_SUCCEEDED, first.getOutcome());
        assertEquals(
                List.of(16, 32),
                first.getPerplexityList().stream().map(p -> p.getLength()).toList());
        first.getPerplexityList().forEach(p -> {
            assertTrue(p.getPpl() > 1 && Double.isFinite(p.getPpl()), "ppl " + p);
            assertEquals(2, p.getDocs());
            // the seed's protocol: two documents cut to max_tokens − 1 = 31 tokens (max_tokens defaults to the
            // longest length), every token scored once at every window length
            assertEquals(2L * (32 - 1), p.getScoredTokens(), "scored tokens at " + p.getLength());
        });
        assertEquals(1, first.getPasskeyCount());
        assertEquals(384, first.getPasskey(0).getLength());
        assertEquals(2, first.getPasskey(0).getTrials());
        assertTrue(first.hasBaseline(), "the base under the same suites");
        assertEquals(2, first.getBaseline().getPerplexityCount());
        // served with max_context = the suite's longest length (384), the base has every length, past its window too
        assertEquals(
                List.of(16, 32),
                first.getBaseline().getPerplexityList().stream()
                        .map(p -> p.getLength())
                        .toList());
        assertTrue(
                first.getBaseline().getPerplexityList().stream().anyMatch(p -> p.getLength() > BASE_WINDOW),
                "perplexity past the base's window");
        first.getBaseline().getPerplexityList().forEach(p -> {
            assertTrue(p.getPpl() > 1 && Double.isFinite(p.getPpl()), "base ppl " + p);
            assertEquals(2L * (32 - 1), p.getScoredTokens(), "base scored tokens at " + p.getLength());
        });
        assertEquals(1, first.getBaseline().getPasskeyCount(), "passkey at 384, far past the base's window");
        assertEquals(384, first.getBaseline().getPasskey(0).getLength());
        assertEquals(2, first.getBaseline().getPasskey(0).getTrials());
        assertEquals("files", first.getModel().getBaseIdentityKind(), "the base has no manifest.json");
        assertEquals(64, first.getSuiteConfigSha256().length());
        assertTrue(first.getTimings().getFinishedAtMs() >= first.getTimings().getStartedAtMs());

        Path report = Path.of("target/test-reports").resolve(first.getReportPath());
        for (String f : List.of(
                ReportWriter.RESULTS,
                ReportWriter.TRIALS,
                ReportWriter.PPL_VS_LENGTH,
                ReportWriter.PASSKEY_VS_LENGTH,
                ReportWriter.PASSKEY_HEATMAP,
                ReportWriter.PPL_VS_STEP,
                ReportWriter.INDEX)) {
            assertTrue(Files.isRegularFile(report.resolve(f)), report.resolve(f) + " written");
        }
        assertEquals(3, Files.readAllLines(report.resolve(ReportWriter.TRIALS)).size(), "header + 2 trials");
        given().get(first.getReportUrl()).then().statusCode(200).body(containsString("<svg"));
        given().get("/reports/index.html").then().statusCode(200).body(containsString(first.getEvaluationId()));
        given().get("/q/health/ready").then().statusCode(200);
    }

    @Test
    @Order(2)
    void theSameEventAgainYieldsNoSecondResult() throws Exception {
        setUp();
        String sha = TestModels.manifestSha(ckpt10);
        RecordMetadata md =
                publish(JOB + "-checkpoint-000010", event(ckpt10, 10, sha).toByteArray());
        awaitCommitted(md);
        assertEquals(
                1,
                results(read(RESULTS, Duration.ofSeconds(3), l -> false), sha).size());
        given().get("/q/metrics").then().statusCode(200).body(containsString("outcome=\"duplicate\""));
    }

    @Test
    @Order(3)
    void poisonedEventsLandInTheDlqWithTheirReason() throws Exception {
        setUp();
        RecordMetadata junk = publish("junk", new byte[] {(byte) 0xff, 0x01, 0x02});
        String wrong = "0".repeat(64);
        RecordMetadata mismatch = publish("wrong-sha", event(ckpt20, 20, wrong).toByteArray());
        awaitCommitted(junk);
        awaitCommitted(mismatch);
        List<ConsumerRecord<String, byte[]>> dlq = read(DLQ, Duration.ofSeconds(30), l -> l.size() >= 2);
        Map<String, ConsumerRecord<String, byte[]>> byKey = new HashMap<>();
        dlq.forEach(r -> byKey.put(r.key(), r));
        assertEquals(Set.of("junk", "wrong-sha"), byKey.keySet());
        assertEquals("MALFORMED_PAYLOAD", header(byKey.get("junk"), EvalRecords.H_CODE));
        assertTrue(header(byKey.get("junk"), EvalRecords.H_REASON).startsWith("not a CheckpointPublished"));
        assertEquals("MANIFEST_MISMATCH", header(byKey.get("wrong-sha"), EvalRecords.H_CODE));
        assertTrue(header(byKey.get("wrong-sha"), EvalRecords.H_REASON).contains("LoadModel"));
        assertEquals("2", header(byKey.get("wrong-sha"), EvalRecords.H_ATTEMPTS), "bounded retries");
        assertEquals(
                CHECKPOINTS + "-" + mismatch.partition() + "@" + mismatch.offset(),
                header(byKey.get("wrong-sha"), EvalRecords.H_SOURCE));
        assertTrue(
                results(read(RESULTS, Duration.ofSeconds(2), l -> false), wrong).isEmpty());
    }

    @Test
    @Order(4)
    void aLaterCheckpointOfTheJobReusesTheBaseAndJoinsTheCharts() throws Exception {
        setUp();
        String sha = TestModels.manifestSha(ckpt20);
        publish(JOB + "-checkpoint-000020", event(ckpt20, 20, sha).toByteArray());
        List<EvalCompleted> got = results(
                read(
                        RESULTS,
                        Duration.ofSeconds(120),
                        l -> l.stream().anyMatch(r -> r.key().equals(sha))),
                sha);
        assertEquals(1, got.size());
        second = got.get(0);
        assertNotNull(first, "runs after the first test");
        assertEquals(first.getEvaluationId(), second.getBaseline().getMeasuredBy(), "the base was measured once");
        assertEquals(
                first.getBaseline().getPerplexityList(), second.getBaseline().getPerplexityList());
        String svg = Files.readString(
                Path.of("target/test-reports").resolve(second.getReportPath()).resolve(ReportWriter.PPL_VS_LENGTH));
        assertTrue(svg.contains("data-series=\"base\""));
        assertTrue(svg.contains("data-series=\"step 10\""));
        assertTrue(svg.contains("data-series=\"step 20\""));
    }

    @Test
    @Order(5)
    void theEvalApiListsAndExplains() throws Exception {
        setUp();
        ManagedChannel ch = ManagedChannelBuilder.forAddress("localhost", 19083)
                .usePlaintext()
                .build();
        try {
            EvalGrpc.EvalBlockingStub eval = EvalGrpc.newBlockingStub(ch);
            var listed = eval.listReports(
                    ListReportsRequest.newBuilder().setJobId(JOB).build());
            assertEquals(2, listed.getResultsCount());
            var report = eval.getReport(GetReportRequest.newBuilder()
                    .setEvaluationId(first.getEvaluationId())
                    .build());
            assertEquals(first.getEvaluationId(), report.getResult().getEvaluationId());
            StatusRuntimeException e = org.junit.jupiter.api.Assertions.assertThrows(
                    StatusRuntimeException.class,
                    () -> eval.runSuite(RunSuiteRequest.newBuilder()
                            .setCheckpoint(ai.posemesh.proto.eval.v1.CheckpointRef.newBuilder()
                                    .setUri(ckpt20.toUri().toString())
                                    .setManifestSha256("xyz"))
                            .build()));
            assertEquals(Status.Code.INVALID_ARGUMENT, e.getStatus().getCode());
            assertTrue(e.getStatus().getDescription().startsWith("checkpoint.manifest_sha256:"));
            var again = eval.runSuite(RunSuiteRequest.newBuilder()
                    .setCheckpoint(ai.posemesh.proto.eval.v1.CheckpointRef.newBuilder()
                            .setUri(ckpt20.toUri().toString())
                            .setManifestSha256(TestModels.manifestSha(ckpt20)))
                    .build());
            assertTrue(again.getExisting(), "already evaluated under these suites");
            assertEquals(second.getEvaluationId(), again.getEvaluationId());
            StatusRuntimeException nf = org.junit.jupiter.api.Assertions.assertThrows(
                    StatusRuntimeException.class,
                    () -> eval.getReport(GetReportRequest.newBuilder()
                            .setEvaluationId("eval-nope")
                            .build()));
            assertEquals(Status.Code.NOT_FOUND, nf.getStatus().getCode());
        } finally {
            ch.shutdownNow();
        }
        String metrics =
                given().get("/q/metrics").then().statusCode(200).extract().asString();
        assertTrue(
                metrics.matches("(?s).*posemesh_eval_evaluations_total\\{outcome=\"succeeded\"[^}]*} 2(\\.0)?\n.*"),
                metrics);
        assertTrue(metrics.matches(
                "(?s).*posemesh_eval_evaluations_total\\{outcome=\"dead_lettered\"[^}]*} 2(\\.0)?\n.*"));
        assertTrue(metrics.contains("posemesh_eval_consumer_lag"));
        assertTrue(metrics.contains("posemesh_eval_duration_seconds_count{trigger=\"checkpoint\""));
    }

    @Test
    @Order(6)
    void theReportRendersInABrowser() throws Exception {
        setUp();
        assertNotNull(second, "runs after the evaluations");
        String url = "http://localhost:18083" + second.getReportUrl();
        String dom = Chromium.dumpDom(url);
        // the four charts, with the job's base and both checkpoints as series of the length charts
        assertEquals(4, ChromiumDom.count(dom, "<svg "), dom);
        assertEquals(2, ChromiumDom.polylinePoints(dom, "base"), dom);
        assertEquals(2, ChromiumDom.polylinePoints(dom, "step 10"));
        assertEquals(2, ChromiumDom.polylinePoints(dom, "step 20"));
        assertTrue(dom.contains("class=\"cell\""), "the heatmap");
        assertTrue(dom.contains("data-series=\"checkpoints\""), "ppl vs step");
        Path png = Chromium.screenshot(url, Path.of("target/report.png").toAbsolutePath());
        assertTrue(Files.size(png) > 10_000, "a real screenshot");
        assertFalse(
                Chromium.dumpDom("http://localhost:18083/reports/index.html").isEmpty());
    }
}
