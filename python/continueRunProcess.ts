// Test helper (imported by tests only): python/continue_run.py on `world` ranks started by hand
// with the environment torchrun gives each (RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR/PORT: env://),
// since Debian's torchrun fails on Python 3.11. Debian's /usr/bin/python3 has torch and numpy.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const PYTHON = '/usr/bin/python3';
const SCRIPT = new URL('./continue_run.py', import.meta.url).pathname;

/** One line of losses.jsonl. */
export interface ContinuedStep {
  step: number;
  loss: number;
  lr: number;
  gradNorm: number;
  ids: number[];
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

function exit(child: ChildProcess, output: string[]): Promise<number> {
  child.stdout?.on('data', (d) => output.push(String(d)));
  child.stderr?.on('data', (d) => output.push(String(d)));
  return new Promise((resolve) => child.on('close', (code) => resolve(code ?? -1)));
}

/** Continues the run folder for `steps` steps into `out`; throws with every rank's output on failure. */
export async function continueRun(
  folder: string,
  out: string,
  world: number,
  steps: number,
): Promise<ContinuedStep[]> {
  const port = await freePort();
  const output: string[] = [];
  const codes = await Promise.all(
    Array.from({ length: world }, (_, rank) => {
      const env = {
        ...process.env,
        RANK: String(rank),
        LOCAL_RANK: String(rank),
        WORLD_SIZE: String(world),
        MASTER_ADDR: '127.0.0.1',
        MASTER_PORT: String(port),
        OMP_NUM_THREADS: '1',
      };
      const args = [SCRIPT, folder, '--steps', String(steps), '--out', out];
      return exit(spawn(PYTHON, args, { env }), output);
    }),
  );
  if (codes.some((c) => c !== 0)) {
    throw new Error(`continue_run.py exited with ${codes.join(', ')}:\n${output.join('')}`);
  }
  return readFileSync(join(out, 'losses.jsonl'), 'utf8')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ContinuedStep);
}
