// The zip is read back by Python's zipfile (an independent reader that checks every CRC).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { zipFiles } from './pytorchRunZip';

const READ = `
import json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    print(json.dumps({"bad": z.testzip(), "files": {i.filename: list(z.read(i)) for i in z.infolist()}, "stored": all(i.compress_type == 0 for i in z.infolist())}))
`;

describe('zipFiles', () => {
  it('writes a stored zip that Python reads back file for file, every CRC checked', () => {
    const files = [
      { name: 'config.json', bytes: new TextEncoder().encode('{"n_layer": 2}\n') },
      { name: 'empty.bin', bytes: new Uint8Array(0) },
      { name: 'train.bin', bytes: Uint8Array.from({ length: 1000 }, (_, i) => (i * 31) % 256) },
    ];
    const path = join(mkdtempSync(join(tmpdir(), 'zip-')), 'run.zip');
    writeFileSync(path, zipFiles('run-step-3', files));
    const run = spawnSync('/usr/bin/python3', ['-c', READ, path], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const read = JSON.parse(run.stdout) as {
      bad: null;
      files: Record<string, number[]>;
      stored: boolean;
    };
    expect(read.bad).toBeNull();
    expect(read.stored).toBe(true);
    expect(read.files).toEqual(
      Object.fromEntries(files.map((f) => [`run-step-3/${f.name}`, [...f.bytes]])),
    );
  });
});
