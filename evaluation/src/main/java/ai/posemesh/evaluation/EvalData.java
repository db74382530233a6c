package ai.posemesh.evaluation;

import ai.posemesh.corpus.Corpus;
import ai.posemesh.corpus.CorpusException;
import ai.posemesh.corpus.Document;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Text to evaluate on, named the way {@code ./pose train --data} names it ({@link Corpus#load}: a family name resolved
 * under {@code dataRoot}, a {@code .jsonl} file, a directory of {@code .txt} files) — and also a single {@code .txt}
 * file, read as one document whose id is its file name.
 */
public final class EvalData {

    private EvalData() {}

    /**
     * @param dataRoot where families live ({@code ./pose data fetch --out}); null = {@code .pose/data}
     * @throws CorpusException (field {@code data}) naming the file, and the line for JSONL
     */
    public static List<Document> load(String data, Path dataRoot) {
        if (data != null && data.toLowerCase(Locale.ROOT).endsWith(".txt")) {
            Path f = Path.of(data);
            if (Files.isRegularFile(f)) {
                return List.of(txt(f));
            }
        }
        return Corpus.load(data, dataRoot);
    }

    private static Document txt(Path f) {
        String text;
        try {
            text = StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(Files.readAllBytes(f)))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new CorpusException("data", f + ": not valid UTF-8");
        } catch (IOException e) {
            throw new CorpusException("data", f + ": cannot read: " + e, e);
        }
        if (text.isEmpty()) {
            throw new CorpusException("data", f + ": empty corpus (the file is empty)");
        }
        return new Document(f.getFileName().toString(), f.toString(), "unknown", text);
    }
}
