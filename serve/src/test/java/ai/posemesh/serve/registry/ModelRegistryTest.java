package ai.posemesh.serve.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.posemesh.model.config.ConfigJson;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import ai.posemesh.testkit.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

class ModelRegistryTest {

    static Path model;

    @BeforeAll
    static void write(@TempDir Path tmp) throws Exception {
        model = TinyModels.write(tmp.resolve("tiny-a"), TinyModels.llama(64).config(), 1, TinyModels.VARIED_STD);
    }

    static InferenceException refused(Reason reason, Executable e) {
        InferenceException x = assertThrows(InferenceException.class, e);
        assertEquals(reason, x.reason(), x.getMessage());
        return x;
    }

    @Test
    void loadsByPathOrUriServesTheFirstByDefaultAndRefusesUnknownNames() throws Exception {
        try (ModelRegistry r = new ModelRegistry()) {
            AtomicInteger changes = new AtomicInteger();
            r.onChange(changes::incrementAndGet);
            refused(Reason.NO_MODEL_LOADED, () -> r.get(""));
            LoadedModel a = r.load("", model.toString(), "");
            assertEquals("tiny-a", a.name(), "the directory's name by default");
            LoadedModel b = r.load("b", model.toUri().toString(), "");
            assertSame(a, r.get(""));
            assertSame(b, r.get("b"));
            assertEquals(
                    List.of("tiny-a", "b"),
                    r.list().stream().map(LoadedModel::name).toList());
            assertEquals(64, a.maxContext());
            assertNotNull(a.tokenizer());
            assertEquals("", a.manifestSha256());
            InferenceException e = refused(Reason.MODEL_NOT_FOUND, () -> r.acquire("c"));
            assertEquals("c", e.metadata().get("model"));
            assertEquals("tiny-a,b", e.metadata().get("loaded"));
            assertTrue(e.getMessage().contains("tiny-a, b"), e.getMessage());
            refused(Reason.MODEL_ALREADY_LOADED, () -> r.load("b", model.toString(), ""));
            r.unload("b");
            refused(Reason.MODEL_NOT_FOUND, () -> r.get("b"));
            assertEquals(3, changes.get());
        }
    }

    @Test
    void aMaxContextOverrideIsTheServedContextAndTheNameKeepsTheContextItWasLoadedWith() throws Exception {
        try (ModelRegistry r = new ModelRegistry()) {
            LoadedModel plain = r.load("plain", model.toString(), "", 0);
            assertEquals(64, plain.maxContext(), "0 = max_position_embeddings");
            assertEquals(64, plain.maxPositionEmbeddings());
            LoadedModel past = r.load("past", model.toString(), "", 256);
            assertEquals(256, past.maxContext(), "the override, past the model's window");
            assertEquals(64, past.maxPositionEmbeddings(), "config.json's window is unchanged");
            assertEquals(64, past.baseContext());
            LoadedModel shorter = r.load("shorter", model.toString(), "", 32);
            assertEquals(32, shorter.maxContext());
            refused(Reason.MODEL_ALREADY_LOADED, () -> r.load("past", model.toString(), "", 512));
            assertEquals(256, r.get("past").maxContext(), "a taken name keeps the context it was loaded with");
            InferenceException e = refused(Reason.INVALID_REQUEST, () -> r.load("neg", model.toString(), "", -1));
            assertEquals("max_context", e.field());
            refused(Reason.MODEL_NOT_FOUND, () -> r.get("neg"));
        }
    }

    @Test
    void unreadableDirectoriesAndForeignUrisAreRefused(@TempDir Path tmp) throws Exception {
        try (ModelRegistry r = new ModelRegistry()) {
            refused(
                    Reason.CHECKPOINT_UNREADABLE,
                    () -> r.load("x", tmp.resolve("nope").toString(), ""));
            Files.writeString(tmp.resolve("config.json"), "{\"hidden_size\": \"wide\"}");
            InferenceException e = refused(Reason.CHECKPOINT_UNREADABLE, () -> r.load("x", tmp.toString(), ""));
            assertTrue(e.getMessage().contains("config.json"), e.getMessage());
            assertEquals(
                    "uri",
                    refused(Reason.INVALID_REQUEST, () -> r.load("x", "s3://bucket/m", ""))
                            .field());
            assertEquals(
                    "uri",
                    refused(Reason.INVALID_REQUEST, () -> r.load("x", " ", "")).field());
            assertTrue(r.isEmpty(), "a failed load leaves nothing behind");
            r.load("x", model.toString(), ""); // and the name is free again
        }
    }

    @Test
    void manifestsAreVerifiedFileByFile(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("ckpt");
        TinyModels.write(dir, TinyModels.llama(64).config(), 2, TinyModels.VARIED_STD);
        String sha = writeManifest(dir);
        try (ModelRegistry r = new ModelRegistry()) {
            LoadedModel m = r.load("ok", dir.toString(), sha.toUpperCase());
            assertEquals(sha, m.manifestSha256());
            r.load("unchecked", dir.toString(), "");
            assertEquals(sha, r.get("unchecked").manifestSha256());

            InferenceException e = refused(Reason.MANIFEST_MISMATCH, () -> r.load("bad", dir.toString(), "ab12"));
            assertEquals("manifest.json", e.metadata().get("file"));
            assertEquals(sha, e.metadata().get("actual_sha256"));
            // the manifest is intact but a file it lists changed
            Files.writeString(dir.resolve("generation_config.json"), "{\"do_sample\": true}");
            e = refused(Reason.MANIFEST_MISMATCH, () -> r.load("bad", dir.toString(), sha));
            assertEquals("generation_config.json", e.metadata().get("file"));
            assertTrue(e.getMessage().contains("generation_config.json"), e.getMessage());
            Files.delete(dir.resolve("manifest.json"));
            refused(Reason.MANIFEST_MISMATCH, () -> r.load("bad", dir.toString(), sha));
            assertFalse(r.list().stream().anyMatch(x -> x.name().equals("bad")));
        }
    }

    @Test
    void unloadWaitsForRunningRequests() throws Exception {
        try (ModelRegistry r = new ModelRegistry()) {
            r.load("m", model.toString(), "");
            ModelRegistry.Lease lease = r.acquire("");
            AtomicBoolean unloaded = new AtomicBoolean();
            Thread t = new Thread(() -> {
                try {
                    r.unload("m");
                    unloaded.set(true);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            t.start();
            while (!r.isEmpty()) {
                Thread.sleep(5);
            }
            refused(Reason.NO_MODEL_LOADED, () -> r.acquire("")); // new requests are refused at once
            Thread.sleep(100);
            assertFalse(unloaded.get(), "the running request still holds the model");
            assertEquals(64, lease.model().llama().config().maxPositionEmbeddings());
            lease.close();
            t.join(5000);
            assertTrue(unloaded.get());
        }
    }

    @Test
    void modelListsParse() {
        assertEquals(
                List.of(
                        new ModelRegistry.ModelSpec("a", "/m/a"),
                        new ModelRegistry.ModelSpec("", "/m/b"),
                        new ModelRegistry.ModelSpec("", "file:///m/c=d"),
                        new ModelRegistry.ModelSpec("", "rel/e")),
                ModelRegistry.ModelSpec.parseList(" a=/m/a, /m/b,,file:///m/c=d, rel/e"));
    }

    /** A manifest.json as the trainer writes it: sha256 of every other file. */
    static String writeManifest(Path dir) throws Exception {
        return CheckpointManifest.write(
                dir, ConfigJson.MAPPER.createObjectNode().put("step", 1));
    }
}
