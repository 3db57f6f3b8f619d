// npm run bench:tokenizer -- [MiB] [inputs]: GPT-2 encoding speed on generated inputs, one JSON line
// per input: ordinary text (the shipped train slice repeated), one letter, one digit, spaces, a
// random base64 blob, random lowercase letters. Each line has the package's own encode of the
// same input when it finishes in reasonable time (text and base64), for a same-run ratio.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { clearMergeCache, encode } from 'gpt-tokenizer/encoding/r50k_base';
import { runnerImport } from 'vite';

const path = fileURLToPath(new URL('../../src/data/gpt2.ts', import.meta.url));
const { module: gpt2 } = await runnerImport(path, { configFile: false, logLevel: 'silent' });
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
const inputs = {
  text: () => train.repeat(Math.ceil(size / train.length)).slice(0, size),
  letter: () => 'a'.repeat(size),
  digits: () => '7'.repeat(size),
  spaces: () => ' '.repeat(size),
  base64: () => Array.from({ length: size }, () => B64[random(64)]).join(''),
  letters: () => Array.from({ length: size }, () => String.fromCharCode(97 + random(26))).join(''),
};
// The package alone: only where its cost is not quadratic.
const packageToo = new Set(['text', 'base64']);
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
    MiB: mb,
    seconds: +ours.toFixed(2),
    MBps: +(mb / ours).toFixed(2),
  };
  if (packageToo.has(name)) {
    const pkg = seconds(() => encode(text, plainText));
    Object.assign(line, {
      packageSeconds: +pkg.toFixed(2),
      packageMBps: +(mb / pkg).toFixed(2),
      ratio: +(ours / pkg).toFixed(2),
    });
  }
  console.log(JSON.stringify(line));
}
