package ai.posemesh.model.io;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.posemesh.model.CheckpointException;
import ai.posemesh.model.config.ConfigJson;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The safetensors format (8-byte little-endian header length, a JSON header of name → dtype/shape/data_offsets, then
 * raw little-endian data), read through a memory map and validated field by field, so a truncated or malformed file is
 * a {@link CheckpointException} naming the file and tensor, never a crash or a silently wrong tensor.
 */
public final class Safetensors {

    /** Headers larger than this are refused as corrupt (real ones are kilobytes to a few megabytes). */
    static final long MAX_HEADER_BYTES = 100L << 20;

    /** One tensor's header entry; offsets are relative to the start of the data section. */
    public record Entry(String name, String dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long d : shape) {
                n = Math.multiplyExact(n, d);
            }
            return n;
        }
    }

    /** The parsed header: tensors in file order, plus where the data section starts. */
    public record Header(Path file, Map<String, Entry> entries, Map<String, String> metadata, long dataStart) {}

    private Safetensors() {}

    /** Bytes per element of the dtypes posemesh reads. */
    static int elementSize(String dtype) {
        return switch (dtype) {
            case "F32", "I32" -> 4;
            case "F16", "BF16", "I16" -> 2;
            case "F64", "I64" -> 8;
            case "I8", "U8", "BOOL" -> 1;
            default -> -1;
        };
    }

    static DataType djlType(String dtype) {
        return switch (dtype) {
            case "F32" -> DataType.FLOAT32;
            case "F16" -> DataType.FLOAT16;
            case "BF16" -> DataType.BFLOAT16;
            case "F64" -> DataType.FLOAT64;
            case "I64" -> DataType.INT64;
            case "I32" -> DataType.INT32;
            case "I8" -> DataType.INT8;
            case "U8" -> DataType.UINT8;
            case "BOOL" -> DataType.BOOLEAN;
            default -> throw new IllegalArgumentException(dtype);
        };
    }

    static String dtypeName(DataType t) {
        return switch (t) {
            case FLOAT32 -> "F32";
            case FLOAT16 -> "F16";
            case BFLOAT16 -> "BF16";
            default -> throw new IllegalArgumentException("posemesh writes F32, BF16 or F16, not " + t);
        };
    }

    /** Reads and validates the header (bounds, dtypes, shapes, sizes) without touching tensor data. */
    public static Header header(Path file) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(
                        file,
                        null,
                        "truncated safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long n = lenBuf.flip().getLong();
            if (n <= 0 || n > MAX_HEADER_BYTES || n > size - 8) {
                throw new CheckpointException(
                        file,
                        "header length",
                        "bad header length " + n + " (file has " + (size - 8) + " bytes after the length field)");
            }
            ByteBuffer headerBuf = ByteBuffer.allocate((int) n);
            readFully(ch, headerBuf, 8);
            JsonNode root;
            try {
                root = ConfigJson.MAPPER.readTree(new String(headerBuf.array(), StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new CheckpointException(file, "header", "is not valid JSON: " + e.getMessage(), e);
            }
            if (root == null || !root.isObject()) {
                throw new CheckpointException(file, "header", "must be a JSON object");
            }
            long dataStart = 8 + n;
            long dataLen = size - dataStart;
            Map<String, Entry> entries = new LinkedHashMap<>();
            Map<String, String> metadata = new LinkedHashMap<>();
            for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    e.getValue()
                            .fields()
                            .forEachRemaining(
                                    m -> metadata.put(m.getKey(), m.getValue().asText()));
                    continue;
                }
                entries.put(e.getKey(), entry(file, e.getKey(), e.getValue(), dataLen));
            }
            return new Header(file, entries, metadata, dataStart);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(file, null, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(file, null, "cannot be read: " + e.getMessage(), e);
        }
    }

    private static Entry entry(Path file, String name, JsonNode v, long dataLen) {
        if (!v.isObject()) {
            throw new CheckpointException(file, name, "header entry must be an object");
        }
        JsonNode dt = v.get("dtype");
        JsonNode sh = v.get("shape");
        JsonNode off = v.get("data_offsets");
        if (dt == null || !dt.isTextual()) {
            throw new CheckpointException(file, name + ".dtype", "missing or not a string");
        }
        String dtype = dt.asText();
        if (elementSize(dtype) < 0) {
            throw new CheckpointException(file, name + ".dtype", "unsupported dtype '" + dtype + "'");
        }
        if (sh == null || !sh.isArray()) {
            throw new CheckpointException(file, name + ".shape", "missing or not a list");
        }
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            if (!sh.get(i).isIntegralNumber() || sh.get(i).asLong() < 0) {
                throw new CheckpointException(file, name + ".shape", "dimensions must be integers >= 0, got " + sh);
            }
            shape[i] = sh.get(i).asLong();
        }
        if (off == null
                || !off.isArray()
                || off.size() != 2
                || !off.get(0).isIntegralNumber()
                || !off.get(1).isIntegralNumber()) {
            throw new CheckpointException(file, name + ".data_offsets", "must be a list of two integers, got " + off);
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new CheckpointException(
                    file,
                    name + ".data_offsets",
                    "[" + begin + ", " + end + "] lie outside the file's " + dataLen
                            + " data bytes (truncated or corrupt file)");
        }
        Entry e = new Entry(name, dtype, shape, begin, end);
        long expected;
        try {
            expected = Math.multiplyExact(e.numel(), elementSize(dtype));
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(file, name + ".shape", "too large: " + sh);
        }
        if (end - begin != expected) {
            throw new CheckpointException(
                    file,
                    name,
                    "dtype/shape mismatch: " + dtype + " " + sh + " needs " + expected + " bytes but data_offsets span "
                            + (end - begin));
        }
        return e;
    }

    /** Loads one tensor as float32 (bf16/f16 are upcast exactly). The array is a copy owned by {@code manager}. */
    public static NDArray read(Header h, String name, NDManager manager) {
        Entry e = h.entries().get(name);
        if (e == null) {
            throw new CheckpointException(h.file(), name, "tensor missing from the checkpoint");
        }
        try (FileChannel ch = FileChannel.open(h.file(), StandardOpenOption.READ)) {
            long len = e.end() - e.begin();
            if (len > Integer.MAX_VALUE - 8) {
                throw new CheckpointException(
                        h.file(),
                        name,
                        "tensors over 2 GiB are not supported yet (" + len
                                + " bytes); shard the checkpoint so that no single tensor is that large");
            }
            ByteBuffer data = ByteBuffer.allocateDirect((int) len).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, data, h.dataStart() + e.begin());
            data.flip();
            if (e.dtype().equals("BF16")) {
                // libtorch aborts on BF16 buffers passed through DJL's JNI, so upcast here: exact, bits << 16
                data = bf16ToF32(data);
                return manager.create(data, new Shape(e.shape()), DataType.FLOAT32);
            }
            NDArray raw = manager.create(data, new Shape(e.shape()), djlType(e.dtype()));
            if (raw.getDataType() == DataType.FLOAT32) {
                return raw;
            }
            NDArray f32 = raw.toType(DataType.FLOAT32, true);
            raw.close();
            return f32;
        } catch (IOException ex) {
            throw new CheckpointException(h.file(), name, "cannot be read: " + ex.getMessage(), ex);
        }
    }

    /** Every tensor of a file, as float32, in file order. */
    public static Map<String, NDArray> readAll(Path file, NDManager manager) {
        Header h = header(file);
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (String name : h.entries().keySet()) {
            out.put(name, read(h, name, manager));
        }
        return out;
    }

    /**
     * Writes tensors in the given order as {@code dtype} (F32, BF16 or F16), with {@code format: pt} metadata as
     * HF transformers expects, the header padded with spaces to a multiple of 8 bytes as the reference writer does.
     */
    public static void write(Path file, Map<String, NDArray> tensors, DataType dtype, Map<String, String> metadata)
            throws IOException {
        String dt = dtypeName(dtype);
        ObjectNode header = ConfigJson.MAPPER.createObjectNode();
        ObjectNode meta = header.putObject("__metadata__");
        meta.put("format", "pt");
        metadata.forEach(meta::put);
        long offset = 0;
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            long bytes = e.getValue().getShape().size() * elementSize(dt);
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dt);
            var shape = t.putArray("shape");
            for (long d : e.getValue().getShape().getShape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] json = new com.fasterxml.jackson.databind.ObjectMapper().writeValueAsBytes(header);
        int padded = (json.length + 7) / 8 * 8;
        ByteBuffer head = ByteBuffer.allocate(8 + padded).order(ByteOrder.LITTLE_ENDIAN);
        head.putLong(padded).put(json);
        while (head.hasRemaining()) {
            head.put((byte) ' ');
        }
        head.flip();
        try (FileChannel ch = FileChannel.open(
                file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
            writeFully(ch, head);
            for (NDArray a : tensors.values()) {
                if (dtype == DataType.BFLOAT16) {
                    writeFully(ch, f32ToBf16(a.toType(DataType.FLOAT32, false).toFloatArray()));
                    continue;
                }
                try (NDArray cast = a.toType(dtype, true)) {
                    writeFully(ch, cast.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN));
                }
            }
        }
    }

    /** bfloat16 is the top half of a float32: widening is exact. */
    static ByteBuffer bf16ToF32(ByteBuffer bf16) {
        ByteBuffer out = ByteBuffer.allocateDirect(bf16.remaining() * 2).order(ByteOrder.LITTLE_ENDIAN);
        bf16.order(ByteOrder.LITTLE_ENDIAN);
        while (bf16.hasRemaining()) {
            out.putInt((bf16.getShort() & 0xffff) << 16);
        }
        return out.flip();
    }

    /** float32 → bfloat16 with round-to-nearest-even, as torch's {@code c10::BFloat16} does; NaN stays NaN. */
    static ByteBuffer f32ToBf16(float[] values) {
        ByteBuffer out = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            int bits = Float.floatToRawIntBits(v);
            if (Float.isNaN(v)) {
                out.putShort((short) 0x7fc0);
            } else {
                int roundingBias = ((bits >>> 16) & 1) + 0x7fff;
                out.putShort((short) ((bits + roundingBias) >>> 16));
            }
        }
        return out.flip();
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int r = ch.read(buf, pos);
            if (r < 0) {
                throw new IOException("unexpected end of file at byte " + pos);
            }
            pos += r;
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer buf) throws IOException {
        while (buf.hasRemaining()) {
            ch.write(buf);
        }
    }
}
