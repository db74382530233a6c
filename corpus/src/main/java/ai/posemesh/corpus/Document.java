package ai.posemesh.corpus;

/** One corpus document, as stored in posemesh's JSONL corpora: {"id","source","license","text"}. */
public record Document(String id, String source, String license, String text) {}
