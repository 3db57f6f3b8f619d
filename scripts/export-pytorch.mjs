// npm run export:pytorch -- <checkpoint file> <out dir> [--tokens <train.bin>]
// Writes a saved run (a "run.ckpt" from Export checkpoint, or an autosave) as the folder
// python/continue_run.py continues. The logic is src/export/pytorchRun.ts, loaded through Vite's
// module runner as in scripts/data/prepare.mjs; this file only reads and writes. A run on your
// own text needs its train tokens (--tokens, little-endian ids): the checkpoint does not hold them.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

const root = fileURLToPath(new URL('../', import.meta.url));

async function load(file) {
  return (await runnerImport(join(root, 'src', file), { configFile: false, logLevel: 'silent' }))
    .module;
}

function fail(message) {
  console.error(`export:pytorch: ${message}`);
  process.exit(1);
}

const args = process.argv.slice(2);
const tokensAt = args.indexOf('--tokens');
const tokensFile = tokensAt >= 0 ? args.splice(tokensAt, 2)[1] : undefined;
if (args.length !== 2 || (tokensAt >= 0 && !tokensFile)) {
  fail('usage: npm run export:pytorch -- <checkpoint file> <out dir> [--tokens <train.bin>]');
}
const [checkpointFile, outDir] = args;
const read = (file) => {
  try {
    return new Uint8Array(readFileSync(file));
  } catch (error) {
    fail(`cannot read ${file}: ${error.message}`);
  }
};

try {
  const { decodeCheckpoint } = await load('checkpoint/format.ts');
  const run = await load('export/pytorchRun.ts');
  const parts = decodeCheckpoint(read(checkpointFile));
  const tokenizer =
    parts.settings.tokenizer === 'gpt2'
      ? (await load('data/gpt2.ts')).gpt2Tokenizer
      : (await load('data/tokenizer.ts')).byteTokenizer;
  let data;
  if (parts.settings.data.choice === 'openwebtext') {
    const dir = join(root, 'public/data/openwebtext');
    const manifest = JSON.parse(new TextDecoder().decode(read(join(dir, 'manifest.json'))));
    data = await run.shippedRunData(manifest, async (file) => read(join(dir, file)), tokenizer);
  } else if (tokensFile) {
    data = run.ownRunData(read(tokensFile), tokenizer);
  } else {
    fail(
      `this run trained on your own text (${parts.settings.data.name}); give its train tokens with --tokens <train.bin> (npm run data writes it).`,
    );
  }
  const files = await run.pytorchRunFiles(parts, data);
  mkdirSync(outDir, { recursive: true });
  for (const file of files) writeFileSync(join(outDir, file.name), file.bytes);
  console.log(
    `${outDir}: ${files.map((f) => f.name).join(', ')} (step ${parts.step}); continue with /usr/bin/python3 python/continue_run.py ${outDir}`,
  );
} catch (error) {
  fail(error instanceof Error ? error.message : String(error));
}
