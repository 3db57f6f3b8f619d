// npm run bench:tokenizer -- [MiB] [inputs]: GPT-2 encoding speed on generated inputs, one JSON line
// per input: ordinary text (the shipped train slice repeated), one letter, one digit, spaces, a
// random base64 blob, random lowercase letters, random unicode (letters of six scripts, combining
// marks, emoji). Sizes are in MiB of characters (UTF-16 code units). For text and base64 the line
// also has the package's own encode of the same input (of its first 2 MiB for base64, where the
// package is slow), for a same-run speedup: our MB/s over the package's.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clearMergeCache, encode } from 'gpt-tokenizer/encoding/r50k_base';
import { runnerImport } from 'vite';

const load = async (file) => {
  const path = fileURLToPath(new URL(`../../src/data/${file}`, import.meta.url));
  return (await runnerImport(path, { configFile: false, logLevel: 'silent' })).module;
};
const gpt2 = await load('gpt2.ts');
const { SCRIPT_RANGES } = await load('bpeAdversarial.ts');
const MiB = 2 ** 20;
const size = Math.round(Number(process.argv[2] ?? 50) * MiB);
const train = readFileSync(
  new URL('../../public/data/openwebtext/train.txt', import.meta.url),
  'utf8',
);
let seed = 1;
const random = (n) => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return Math.floor((seed / 2 ** 32) * n);
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const unicodeChar = () => {
  const [first, last] = SCRIPT_RANGES[random(SCRIPT_RANGES.length)];
  return String.fromCodePoint(first + random(last - first + 1));
};
const generate = (char) => {
  const parts = [];
  for (let n = 0; n < size; ) {
    const c = char();
    parts.push(c);
    n += c.length;
  }
  return parts.join('').slice(0, size);
};
const inputs = {
  text: () => train.repeat(Math.ceil(size / train.length)).slice(0, size),
  letter: () => 'a'.repeat(size),
  digits: () => '7'.repeat(size),
  spaces: () => ' '.repeat(size),
  base64: () => generate(() => B64[random(64)]),
  letters: () => generate(() => String.fromCharCode(97 + random(26))),
  unicode: () => generate(unicodeChar),
};
// The package alone, on at most this many MiB: only where its cost is not quadratic.
const packageMiB = { text: Number.POSITIVE_INFINITY, base64: 2 };
const plainText = { allowedSpecial: new Set(), disallowedSpecial: new Set() };

// Each timing starts with the package's merge cache empty, so neither run warms the other's.
const seconds = (run) => {
  clearMergeCache();
  const started = performance.now();
  run();
  return (performance.now() - started) / 1000;
};
for (const name of (process.argv[3] ?? Object.keys(inputs).join(',')).split(',')) {
  const text = inputs[name]();
  const mb = text.length / MiB;
  const ours = seconds(() => gpt2.encodeGpt2(text));
  const line = {
    figure: 'gpt2 encode',
    input: name,
    MiB: +mb.toFixed(2),
    seconds: +ours.toFixed(2),
    MBps: +(mb / ours).toFixed(2),
  };
  if (name in packageMiB) {
    const part = text.slice(0, Math.round(Math.min(mb, packageMiB[name]) * MiB));
    const pkg = seconds(() => encode(part, plainText));
    const pkgMBps = part.length / MiB / pkg;
    Object.assign(line, {
      packageMiB: +(part.length / MiB).toFixed(2),
      packageSeconds: +pkg.toFixed(2),
      packageMBps: +pkgMBps.toFixed(2),
      speedup: +(mb / ours / pkgMBps).toFixed(2),
    });
  }
  console.log(JSON.stringify(line));
}
