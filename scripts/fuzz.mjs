// npm run test:fuzz -- [--seed N] [--cases M] [--target name]: the fuzz suite of src/fuzz at a
// chosen seed and length (npm test runs it at a fixed seed and each target's testCases). Prints
// one JSON line per target; exits 1 if any input failed, listing each with its seed and mutation.
import { fileURLToPath } from 'node:url';
import { runnerImport } from 'vite';

async function load(file) {
  const path = fileURLToPath(new URL(`../src/fuzz/${file}`, import.meta.url));
  return (await runnerImport(path, { configFile: false, logLevel: 'silent' })).module;
}

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && args[i + 1] !== undefined ? args[i + 1] : fallback;
};
const seed = Number(option('seed', String(Date.now() % 2 ** 32)));
const cases = option('cases', undefined);
const only = option('target', '');
if (!Number.isInteger(seed) || seed < 0 || (cases !== undefined && !/^\d+$/.test(cases))) {
  console.error('usage: npm run test:fuzz -- [--seed N] [--cases M] [--target name]');
  process.exit(2);
}

const { fuzzTarget } = await load('fuzz.ts');
const { FUZZ_TARGETS } = await load('targets.ts');
let failed = 0;
for (const target of FUZZ_TARGETS) {
  if (only && !target.name.includes(only)) continue;
  const report = await fuzzTarget(
    target,
    seed,
    cases === undefined ? target.testCases : Number(cases),
  );
  failed += report.failures.length;
  const { failures, ...summary } = report;
  console.log(
    JSON.stringify({
      ...summary,
      slowestMs: Math.round(summary.slowestMs),
      failures: failures.length,
    }),
  );
  for (const f of failures) console.error(JSON.stringify({ target: target.name, ...f }));
}
process.exit(failed > 0 ? 1 : 0);
