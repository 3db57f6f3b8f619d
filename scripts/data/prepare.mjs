// npm run data -- <input.txt|input.jsonl> <output-dir> [--tokenizer gpt2|byte] [--val-fraction F] [--field text]
// Tokenizes user text into the layout of public/data/openwebtext/ (train/val .bin + manifest.json).
// The logic is src/data/prepare.ts, loaded through Vite's module runner so the CLI and the studio
// share one tested implementation; this file only reads and writes.
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

// Each runnerImport closes its runner after the import, so nothing imported may import lazily.
async function load(file) {
  const path = fileURLToPath(new URL(`../../src/data/${file}`, import.meta.url));
  return (await runnerImport(path, { configFile: false, logLevel: 'silent' })).module;
}

const data = await load('prepare.ts');

function fail(message) {
  console.error(`data: ${message}`);
  process.exit(1);
}

try {
  const options = data.parseArgs(process.argv.slice(2));
  // Checked before the work: a file where the folder should be would fail only at the end.
  const out = statSync(options.outputDir, { throwIfNoEntry: false });
  if (out && !out.isDirectory()) {
    fail(
      `${options.outputDir} is a file, not a folder: give a folder (new or existing) to write the .bin files and manifest.json into.`,
    );
  }
  let bytes;
  try {
    bytes = readFileSync(options.input);
  } catch (error) {
    fail(`cannot read ${options.input}: ${error.message}`);
  }
  const tokenizer =
    options.tokenizer === 'gpt2'
      ? (await load('gpt2.ts')).gpt2Tokenizer
      : (await load('tokenizer.ts')).byteTokenizer;
  const { files, manifest } = await data.prepare(bytes, options.input, tokenizer, options);
  try {
    mkdirSync(options.outputDir, { recursive: true });
    for (const file of files) writeFileSync(join(options.outputDir, file.name), file.bytes);
  } catch (error) {
    fail(`cannot write to ${options.outputDir}: ${error.message}`);
  }
  for (const [split, entries] of Object.entries(manifest.splits)) {
    const entry = entries[options.tokenizer];
    console.log(
      `${join(options.outputDir, entry.file)}: ${entry.documents} documents, ${entry.tokens} ${options.tokenizer} tokens (${split})`,
    );
  }
} catch (error) {
  // A DataError is the user's to fix; anything else is a bug, reported in one line all the same.
  fail(
    error?.name === 'DataError' ? error.message : `failed unexpectedly: ${error?.message ?? error}`,
  );
}
