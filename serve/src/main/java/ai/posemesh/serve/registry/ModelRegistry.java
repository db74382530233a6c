package ai.posemesh.serve.registry;

import ai.djl.ndarray.NDManager;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.Engines;
import ai.posemesh.model.io.CheckpointManifest;
import ai.posemesh.model.io.HfCheckpoint;
import ai.posemesh.model.llama.Llama;
import ai.posemesh.model.tokenizer.TextTokenizer;
import ai.posemesh.serve.InferenceException;
import ai.posemesh.serve.InferenceException.Reason;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The models a server holds, by name. Loading reads an HF directory (optionally verified against its manifest's
 * sha256) outside the registry lock; a request {@link #acquire acquires} a model for as long as it runs, and
 * {@link #unload} removes the name at once (new requests get NOT_FOUND) then waits for running requests before freeing
 * the weights. An empty name means the only (or first loaded) model.
 */
public final class ModelRegistry implements AutoCloseable {

    /** One entry of a model list: an optional name and a path or file:// URI. */
    public record ModelSpec(String name, String uri) {
        /** "name=path" or "path", comma-separated (the service's posemesh.inference.models). */
        public static List<ModelSpec> parseList(String list) {
            List<ModelSpec> out = new ArrayList<>();
            for (String item : list.split(",")) {
                String s = item.trim();
                if (s.isEmpty()) {
                    continue;
                }
                int eq = s.indexOf('=');
                boolean named = eq > 0 && s.substring(0, eq).chars().noneMatch(c -> c == '/' || c == ':');
                out.add(
                        named
                                ? new ModelSpec(
                                        s.substring(0, eq).trim(),
                                        s.substring(eq + 1).trim())
                                : new ModelSpec("", s));
            }
            return out;
        }
    }

    private final NDManager root = Engines.newManager();
    private final Map<String, LoadedModel> models = new LinkedHashMap<>();
    private final Set<String> loading = new HashSet<>();
    private final List<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** Runs after every load and unload (e.g. to update health). */
    public void onChange(Runnable listener) {
        listeners.add(listener);
    }

    /**
     * As {@link #load(String, String, String, int)} with no max-context override (served with its
     * max_position_embeddings).
     */
    public LoadedModel load(String name, String uri, String expectedManifestSha256) {
        return load(name, uri, expectedManifestSha256, 0);
    }

    /**
     * Loads a model under a name that is not taken: a name already loaded (or being loaded) is MODEL_ALREADY_LOADED
     * whatever the request's max context, so a model is served with the context it was first loaded with until it is
     * unloaded; another context takes an unload first, or another name.
     *
     * @param name the name to serve it under; empty = the directory's name
     * @param uri an absolute path, a path relative to the working directory, or a file:// URI of an HF directory
     * @param expectedManifestSha256 empty, or the sha256 the directory's manifest.json must have (every file it lists
     *     is checked too)
     * @param maxContext the context to serve it with (prompt + generation, and one-pass score length) instead of its
     *     max_position_embeddings; 0 = max_position_embeddings. Larger than max_position_embeddings runs positions the
     *     model was not trained on (as vLLM's max_model_len override): e.g. a base model's perplexity past its window.
     *     Negative: INVALID_REQUEST naming the field {@code max_context}.
     */
    public LoadedModel load(String name, String uri, String expectedManifestSha256, int maxContext) {
        if (maxContext < 0) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    "max_context",
                    "must be >= 0 (0 = the model's max_position_embeddings), got " + maxContext);
        }
        Path dir = directory(uri);
        String n = name == null || name.isBlank() ? String.valueOf(dir.getFileName()) : name.trim();
        synchronized (this) {
            if (models.containsKey(n) || loading.contains(n)) {
                throw new InferenceException(
                        Reason.MODEL_ALREADY_LOADED,
                        "a model named '" + n + "' is already " + "loaded; unload it first or choose another name",
                        InferenceException.meta("model", n));
            }
            loading.add(n);
        }
        LoadedModel model = null;
        try {
            model = read(n, dir, expectedManifestSha256 == null ? "" : expectedManifestSha256.trim(), maxContext);
            synchronized (this) {
                models.put(n, model);
            }
        } finally {
            synchronized (this) {
                loading.remove(n);
            }
        }
        listeners.forEach(Runnable::run);
        return model;
    }

    private LoadedModel read(String name, Path dir, String expectedSha, int maxContext) {
        if (!Files.isDirectory(dir)) {
            throw new InferenceException(
                    Reason.CHECKPOINT_UNREADABLE,
                    dir + ": " + (Files.exists(dir) ? "is not a directory" : "model directory not found"),
                    InferenceException.meta("uri", dir.toUri()));
        }
        String sha = manifestSha256(dir, expectedSha);
        Llama llama = null;
        try {
            llama = HfCheckpoint.load(dir, root);
            TextTokenizer tokenizer =
                    Files.isRegularFile(dir.resolve("tokenizer.json")) ? TextTokenizer.load(dir) : null;
            return new LoadedModel(name, dir, llama, tokenizer, sha, maxContext);
        } catch (RuntimeException e) {
            if (llama != null) {
                llama.close();
            }
            Map<String, Object> meta = new LinkedHashMap<>();
            meta.put("uri", dir.toUri());
            if (e instanceof CheckpointException c && c.file() != null) {
                meta.put("file", c.file());
            }
            if (e instanceof CheckpointException c && c.field() != null) {
                meta.put("field", c.field());
            }
            throw new InferenceException(
                    Reason.CHECKPOINT_UNREADABLE, "cannot load " + dir + ": " + e.getMessage(), meta, e);
        }
    }

    /** The manifest's sha256 ("" when there is none), checked file by file when {@code expected} is given. */
    private static String manifestSha256(Path dir, String expected) {
        try {
            return expected.isEmpty() ? CheckpointManifest.sha256Of(dir) : CheckpointManifest.verify(dir, expected);
        } catch (CheckpointManifest.Mismatch e) {
            throw new InferenceException(
                    Reason.MANIFEST_MISMATCH,
                    e.getMessage(),
                    InferenceException.meta(
                            "file",
                            e.entry(),
                            "expected_sha256",
                            e.expectedSha256(),
                            "actual_sha256",
                            e.actualSha256()));
        } catch (CheckpointException e) {
            throw new InferenceException(
                    Reason.CHECKPOINT_UNREADABLE,
                    e.getMessage(),
                    InferenceException.meta("file", String.valueOf(e.file())),
                    e);
        }
    }

    /** Loads each "name=path" or "path" of a comma-separated list, in order. */
    public List<LoadedModel> loadAll(String list) {
        List<LoadedModel> out = new ArrayList<>();
        for (ModelSpec s : ModelSpec.parseList(list)) {
            out.add(load(s.name(), s.uri(), ""));
        }
        return out;
    }

    /** The model for a request, held until the lease is closed. */
    public synchronized Lease acquire(String name) {
        LoadedModel m = get(name);
        m.retain();
        return new Lease(m);
    }

    /** The model by name (empty: the only or first loaded); NOT_FOUND / NO_MODEL_LOADED otherwise. */
    public synchronized LoadedModel get(String name) {
        if (name == null || name.isBlank()) {
            if (models.isEmpty()) {
                throw new InferenceException(
                        Reason.NO_MODEL_LOADED,
                        "no model is loaded yet; load one with LoadModel (or wait for start-up loading)",
                        InferenceException.meta());
            }
            return models.values().iterator().next();
        }
        LoadedModel m = models.get(name);
        if (m == null) {
            throw new InferenceException(
                    Reason.MODEL_NOT_FOUND,
                    "no model named '" + name + "' is loaded (loaded: "
                            + (models.isEmpty() ? "none" : String.join(", ", models.keySet())) + ")",
                    InferenceException.meta("model", name, "loaded", String.join(",", models.keySet())));
        }
        return m;
    }

    public synchronized List<LoadedModel> list() {
        return List.copyOf(models.values());
    }

    public synchronized boolean isEmpty() {
        return models.isEmpty();
    }

    /** Removes the name now (new requests get NOT_FOUND), waits for running requests, then frees the weights. */
    public void unload(String name) throws InterruptedException {
        LoadedModel m;
        synchronized (this) {
            m = get(name);
            models.remove(m.name());
        }
        listeners.forEach(Runnable::run);
        m.awaitIdle();
        m.close();
    }

    /** Unloads everything (waiting for running requests) and releases the engine's root memory. */
    @Override
    public void close() throws InterruptedException {
        for (LoadedModel m : list()) {
            unload(m.name());
        }
        root.close();
    }

    static Path directory(String uri) {
        if (uri == null || uri.isBlank()) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST,
                    "uri",
                    "is required (an absolute path or a " + "file:// URI of an HF model directory)");
        }
        String u = uri.trim();
        try {
            if (u.startsWith("file:")) {
                return Path.of(URI.create(u)).normalize();
            }
            if (u.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*")) {
                throw InferenceException.field(
                        Reason.INVALID_REQUEST,
                        "uri",
                        "'" + u + "': only file:// URIs and "
                                + "paths are served; copy the checkpoint to a volume the server can read");
            }
            return Path.of(u).toAbsolutePath().normalize();
        } catch (IllegalArgumentException e) {
            throw InferenceException.field(
                    Reason.INVALID_REQUEST, "uri", "'" + u + "' is not a valid path or URI: " + e.getMessage());
        }
    }

    /** A model held by one request. */
    public static final class Lease implements AutoCloseable {
        private final LoadedModel model;
        private boolean closed;

        private Lease(LoadedModel model) {
            this.model = model;
        }

        public LoadedModel model() {
            return model;
        }

        @Override
        public synchronized void close() {
            if (!closed) {
                closed = true;
                model.release();
            }
        }
    }
}
