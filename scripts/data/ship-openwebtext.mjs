// Maintainer script, run by hand (never by the studio or its tests): copies the OpenWebText
// slices from the shared data folder into public/data/openwebtext/ with a manifest, a README
// carrying the source's provenance, and the 3-document fixture the tokenizer test checks.
//   node scripts/data/ship-openwebtext.mjs [/work/shared/data/openwebtext] && npx biome check --write src/data/fixtures
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const SOURCE_DIR = process.argv[2] ?? '/work/shared/data/openwebtext';
const OUT_DIR = 'public/data/openwebtext';
const FIXTURE = 'src/data/fixtures/openwebtext-train-first3.json';
const EOT = '<|endoftext|>';
const EOT_ID = 50256;
const SOURCE =
  'OpenWebText (Gokaslan and Cohen), from the first 10,000 records (stas/openwebtext-10k); provenance in README.md';
const LICENCE =
  'OpenWebText packaging CC0; the text of each article belongs to its authors; unfiltered web text';

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

function gpt2Entry(split) {
  const file = `${split}.gpt2.bin`;
  const bytes = readFileSync(join(SOURCE_DIR, file));
  const ids = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const documents = ids.reduce((n, id) => n + (id === EOT_ID ? 1 : 0), 0);
  copyFileSync(join(SOURCE_DIR, file), join(OUT_DIR, file));
  chmodSync(join(OUT_DIR, file), 0o644);
  const entry = { file, format: 'uint16', tokenizer: 'gpt2', tokens: ids.length, documents };
  return { ...entry, sha256: sha256(bytes), source: SOURCE, licence: LICENCE };
}

// The byte tokenizer reads the text: one token per UTF-8 byte plus one separator per document.
function byteEntry(split) {
  const file = `${split}.txt`;
  const bytes = readFileSync(join(SOURCE_DIR, file));
  const docs = bytes.toString('utf8').split(EOT);
  if (docs.pop() !== '') throw new Error(`${file} does not end with ${EOT}`);
  const tokens = docs.reduce((n, d) => n + Buffer.byteLength(d, 'utf8') + 1, 0);
  copyFileSync(join(SOURCE_DIR, file), join(OUT_DIR, file));
  chmodSync(join(OUT_DIR, file), 0o644);
  const entry = { file, format: 'text', tokenizer: 'byte', tokens, documents: docs.length };
  return { ...entry, sha256: sha256(bytes), source: SOURCE, licence: LICENCE };
}

function fixture() {
  const docs = readFileSync(join(SOURCE_DIR, 'train.txt'), 'utf8').split(EOT).slice(0, 3);
  const bytes = readFileSync(join(SOURCE_DIR, 'train.gpt2.bin'));
  const all = new Uint16Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 2);
  const ids = [];
  for (let i = 0, seen = 0; seen < 3; i++) {
    ids.push(all[i]);
    if (all[i] === EOT_ID) seen++;
  }
  return { source: 'first 3 documents of public/data/openwebtext/train.txt', documents: docs, ids };
}

mkdirSync(OUT_DIR, { recursive: true });
const manifest = {
  name: 'openwebtext',
  description:
    'OpenWebText slices: 1000 training and 426 validation documents, no document in both',
  splits: {
    train: { gpt2: gpt2Entry('train'), byte: byteEntry('train') },
    val: { gpt2: gpt2Entry('val'), byte: byteEntry('val') },
  },
};
writeFileSync(join(OUT_DIR, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
const sourceReadme = readFileSync(join(SOURCE_DIR, 'README.md'), 'utf8');
writeFileSync(
  join(OUT_DIR, 'README.md'),
  `${sourceReadme.trimEnd()}

## In this studio
These files are copied unchanged from the source above (the sha256 lines hold for them).
\`manifest.json\` lists, per split, the file each tokenizer reads: \`*.gpt2.bin\` for the GPT-2
BPE, \`*.txt\` for the byte-level tokenizer (one token per UTF-8 byte, each \`${EOT}\` becomes the
byte 0xFF, which never occurs in UTF-8). Regenerate with \`node scripts/data/ship-openwebtext.mjs\`.
`,
);
writeFileSync(FIXTURE, `${JSON.stringify(fixture())}\n`);
console.log(JSON.stringify(manifest.splits, null, 1));
