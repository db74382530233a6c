/**
 * The evaluation library: the PoSE reference's perplexity ({@code eval_ppl.py}) and passkey ({@code eval_passkey.py})
 * protocols on any {@link ai.posemesh.evaluation.EvalBackend} — the model in this JVM
 * ({@link ai.posemesh.evaluation.InProcessBackend}) or a model an inference service serves
 * ({@link ai.posemesh.evaluation.RemoteBackend}, gRPC), with the same numbers either way. Plain Java.
 *
 * <p>Entry points:
 *
 * <pre>{@code
 * try (EvalBackend b = RemoteBackend.connect("localhost:9082", "my-model")) {   // or InProcessBackend.load(dir),
 *                                                                              // or new RemoteBackend(channel, name)
 *     List<Document> corpus = Corpus.load("books", Path.of(".pose/data"));   // family, .jsonl, dir of .txt, .txt
 *     PerplexitySpec ppl = PerplexitySpec.defaults(b);                         // or new PerplexitySpec(lengths, ...)
 *     PerplexityReport p = new PerplexityEval(b).run(corpus, ppl, progress);   // p.results(), p.toJson(data)
 *
 *     PasskeyEval passkey = new PasskeyEval(b);
 *     PasskeySpec spec = passkey.defaultSpec();                                // or new PasskeySpec(lengths, trials, seed)
 *     PasskeyReport k = passkey.run(spec, trial -> ..., progress);             // k.results(), k.toJson(); Trial.toJson()
 * }
 * }</pre>
 *
 * Settings are checked before any work ({@code PerplexitySpec.validate}, {@code PasskeyEval.check}); a bad one is an
 * {@link ai.posemesh.evaluation.EvalException} naming the setting ({@code lengths}, {@code stride}, {@code docs},
 * {@code min-tokens}, {@code max-tokens}, {@code trials}, {@code data}); an unreadable corpus is a
 * {@code CorpusException} (field {@code data}); a remote failure is the service's {@code StatusRuntimeException}.
 * {@link ai.posemesh.evaluation.Progress} reports done/total per length and can stop a run by throwing.
 *
 * <p>Sub-packages: {@code perplexity} (the window bookkeeping {@code Windows}, the suite), {@code passkey} (prompt,
 * suite, trials), {@code config} (eval-service's suite hash and model identity), {@code report} (results.json,
 * trials.csv, charts).
 */
package ai.posemesh.evaluation;
