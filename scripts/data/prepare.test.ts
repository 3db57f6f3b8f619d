import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const CLI = new URL('./prepare.mjs', import.meta.url).pathname;

// Each run starts node and Vite's module runner: seconds on a loaded 2-core machine.
describe('npm run data', { timeout: 60_000 }, () => {
  it('writes train/val .bin files and a manifest whose numbers match them', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-cli-'));
    writeFileSync(join(dir, 'in.txt'), 'First document, café.\n\nSecond one.\n\nThird, 日本.\n');
    const out = join(dir, 'out');
    execFileSync('node', [
      CLI,
      join(dir, 'in.txt'),
      out,
      '--tokenizer',
      'byte',
      '--val-fraction',
      '0.3',
    ]);
    expect(readdirSync(out).sort()).toEqual(['manifest.json', 'train.byte.bin', 'val.byte.bin']);
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    for (const split of ['train', 'val']) {
      const entry = manifest.splits[split].byte;
      const bytes = readFileSync(join(out, entry.file));
      expect(bytes.length).toBe(entry.tokens);
      expect(bytes.filter((b) => b === 0xff).length).toBe(entry.documents);
    }
  });
  it('exits 1 with the line number of an invalid JSONL line', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-cli-'));
    writeFileSync(join(dir, 'in.jsonl'), '{"text":"a"}\n{"text":"b"}\nnot json\n');
    const run = spawnSync('node', [CLI, join(dir, 'in.jsonl'), join(dir, 'out')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(/^data: .*in\.jsonl line 3 is not valid JSON/);
  });
  it('exits 1 with a message, not a stack trace, when the output folder is a file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-cli-'));
    writeFileSync(join(dir, 'in.txt'), 'one\n\ntwo\n');
    writeFileSync(join(dir, 'out'), 'a file');
    const run = spawnSync('node', [CLI, join(dir, 'in.txt'), join(dir, 'out')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toBe(
      `data: ${join(dir, 'out')} is a file, not a folder: give a folder (new or existing) to write the .bin files and manifest.json into.\n`,
    );
  });
  it('refuses a file of 93% control characters, as the studio does', () => {
    const dir = mkdtempSync(join(tmpdir(), 'data-cli-'));
    const bytes = new Uint8Array(1000).fill(0x01);
    bytes.fill(0x61, 0, 70);
    writeFileSync(join(dir, 'in.txt'), bytes);
    const run = spawnSync('node', [CLI, join(dir, 'in.txt'), join(dir, 'out')], {
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toMatch(
      /^data: .*in\.txt looks like a binary file \(93% control characters\)/,
    );
  });
});
