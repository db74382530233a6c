package ai.posemesh.model.llama;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.ParameterStore;
import ai.posemesh.model.Engines;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * torch.nn.functional.scaled_dot_product_attention is not in DJL's JNI op list, so posemesh writes a tiny TorchScript
 * archive that calls it (the archive is a zip: pickled module object + TorchScript source) and loads it into libtorch
 * from memory. Gradients flow through it, so the trainer uses it too.
 *
 * <p>Masking: when Tq == Tk the script passes {@code is_causal=True} (no mask tensor; flash kernel). When the queries
 * are a suffix of the keys (chunked prefill, decode) {@code is_causal} would align the mask top-left, which is wrong,
 * so the script builds the bottom-right aligned mask {@code ones(Tq,Tk).tril(Tk−Tq)} instead.
 */
final class FusedAttention implements Attention {

    /** The TorchScript source, in the serialized form torch.jit.save writes for this module (code format v3). */
    static final String SCRIPT = """
            class SuffixCausalSdpa(Module):
              __parameters__ = []
              __buffers__ = []
              training : bool
              _is_full_backward_hook : Optional[bool]
              def forward(self: __torch__.SuffixCausalSdpa,
                q: Tensor,
                k: Tensor,
                v: Tensor) -> Tensor:
                tq = torch.size(q, -2)
                tk = torch.size(k, -2)
                if torch.eq(tq, tk):
                  _0 = torch.scaled_dot_product_attention(q, k, v, None, 0., True)
                else:
                  _1 = ops.prim.device(q)
                  _2 = torch.ones([tq, tk], dtype=11, layout=None, device=_1)
                  mask = torch.tril(_2, torch.sub(tk, tq))
                  _0 = torch.scaled_dot_product_attention(q, k, v, mask)
                return _0
            """;

    private static volatile FusedAttention instance;

    private final PtNDManager manager;
    private final PtSymbolBlock block;

    private FusedAttention() {
        Engines.pytorch();
        this.manager = (PtNDManager) Engines.newManager();
        try {
            this.block = JniUtils.loadModule(manager, new ByteArrayInputStream(archive()), true, false);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the generated SDPA TorchScript module", e);
        }
    }

    static FusedAttention instance() {
        FusedAttention a = instance;
        if (a == null) {
            synchronized (FusedAttention.class) {
                if (instance == null) {
                    instance = new FusedAttention();
                }
                a = instance;
            }
        }
        return a;
    }

    @Override
    public NDArray attend(NDArray q, NDArray k, NDArray v) {
        // with grad mode on (training) the module must not run under torch's InferenceMode, or its output cannot be
        // saved for backward; DJL picks the mode from the training flag
        boolean training = JniUtils.isGradMode();
        return block.forward(new ParameterStore(q.getManager(), false), new NDList(q, k, v), training)
                .singletonOrThrow();
    }

    /** The TorchScript archive (zip) for {@link #SCRIPT}. */
    static byte[] archive() throws IOException {
        String root = "suffix_causal_sdpa/";
        // pickle protocol 2: __torch__.SuffixCausalSdpa() with state {training: True, _is_full_backward_hook: None}
        ByteArrayOutputStream pkl = new ByteArrayOutputStream();
        pkl.write(new byte[] {(byte) 0x80, 2});
        pkl.write("c__torch__\nSuffixCausalSdpa\nq\u0000)\u0081}(X".getBytes(StandardCharsets.ISO_8859_1));
        writePickleString(pkl, "training");
        pkl.write("q\u0001\u0088X".getBytes(StandardCharsets.ISO_8859_1));
        writePickleString(pkl, "_is_full_backward_hook");
        pkl.write("q\u0002Nubq\u0003.".getBytes(StandardCharsets.ISO_8859_1));

        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            stored(z, root + "data.pkl", pkl.toByteArray());
            stored(z, root + "code/__torch__.py", SCRIPT.getBytes(StandardCharsets.UTF_8));
            stored(z, root + "constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            stored(z, root + "version", "3\n".getBytes(StandardCharsets.US_ASCII));
            stored(z, root + "byteorder", "little".getBytes(StandardCharsets.US_ASCII));
        }
        return zip.toByteArray();
    }

    /** BINUNICODE length prefix (little-endian u32) + UTF-8 bytes; the 'X' opcode is written by the caller. */
    private static void writePickleString(ByteArrayOutputStream out, String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        out.write(b.length & 0xff);
        out.write((b.length >>> 8) & 0xff);
        out.write((b.length >>> 16) & 0xff);
        out.write((b.length >>> 24) & 0xff);
        out.writeBytes(b);
    }

    /** libtorch's reader wants uncompressed entries. */
    private static void stored(ZipOutputStream z, String name, byte[] data) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(data.length);
        CRC32 crc = new CRC32();
        crc.update(data);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(data);
        z.closeEntry();
    }
}
