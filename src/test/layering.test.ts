// The import rules of biome.json, run by Biome itself on small offending files, so a rule that
// stops matching (a renamed folder, a dropped override) fails here instead of passing silently.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');

/** A file of the temporary tree, and the rule Biome must report on it (null: it must pass). */
const cases: { path: string; source: string; rule: string | null }[] = [
  {
    path: 'src/model/internals.ts',
    source:
      "import { createLoraRite } from '../optim/loraRite';\nexport const x = createLoraRite;\n",
    rule: 'noRestrictedImports',
  },
  {
    path: 'src/model/contract.ts',
    source: "import { loraLayout } from '../optim/loraOptimizer';\nexport const x = loraLayout;\n",
    rule: null,
  },
  {
    path: 'src/optim/shader.ts',
    source: "import code from '../../shaders/lora_rite.wgsl?raw';\nexport const x = code;\n",
    rule: 'noRestrictedImports',
  },
  {
    path: 'src/optim/launcher.ts',
    source: "import { loraRiteSide } from '../kernels/loraRite';\nexport const x = loraRiteSide;\n",
    rule: null,
  },
  {
    path: 'src/reference/kernel.ts',
    source: "import type { AdamwOp } from '../kernels/adamw';\nexport type X = AdamwOp;\n",
    rule: 'noRestrictedImports',
  },
  {
    path: 'src/optim/reference/kernel.ts',
    source:
      "import { packDecayMask } from '../../kernels/decayMask';\nexport const x = packDecayMask;\n",
    rule: 'noRestrictedImports',
  },
  {
    path: 'src/train/ui.ts',
    source: "import { useStudio } from '../store/store';\nexport const x = useStudio;\n",
    rule: 'noRestrictedImports',
  },
  {
    path: 'src/store/gpu.ts',
    source: "import { Trainer } from '../train/trainer';\nexport const x = Trainer;\n",
    rule: 'noRestrictedImports',
  },
  // A cycle through type-only imports still counts: it is a cycle for the reader.
  {
    path: 'src/data/cycleA.ts',
    source: "import type { B } from './cycleB';\nexport interface A { b?: B }\n",
    rule: 'noImportCycles',
  },
  {
    path: 'src/data/cycleB.ts',
    source: "import type { A } from './cycleA';\nexport interface B { a?: A }\n",
    rule: 'noImportCycles',
  },
];

interface Diagnostic {
  category: string;
  location: { path: string };
}

let dir: string;
let reported: Diagnostic[];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layering-'));
  writeFileSync(join(dir, 'biome.json'), JSON.stringify({ extends: [join(root, 'biome.json')] }));
  for (const { path, source } of cases) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), source);
  }
  let out: string;
  try {
    out = execFileSync(join(root, 'node_modules/.bin/biome'), ['lint', '--reporter=json', '.'], {
      cwd: dir,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (e) {
    // Biome exits 1 when it reports errors, which is what most cases want.
    out = (e as { stdout: string }).stdout;
  }
  reported = (JSON.parse(out) as { diagnostics: Diagnostic[] }).diagnostics;
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the import rules of biome.json', () => {
  it.each(cases)('$path: $rule', ({ path, rule }) => {
    const rules = reported.filter((d) => d.location.path === path).map((d) => d.category);
    expect(rules).toEqual(
      rule === null ? [] : [`lint/${rule === 'noImportCycles' ? 'suspicious' : 'style'}/${rule}`],
    );
  });
});
