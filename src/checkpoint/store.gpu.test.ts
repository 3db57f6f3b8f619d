// Runs in Chromium (the browser project): real OPFS and IndexedDB, no GPU needed.
import { describe, expect, it } from 'vitest';
import { CheckpointStore, StorageFullError, type StoreBackend } from './store';

const bytesOf = (n: number, k: number) => Uint8Array.from({ length: n }, (_, i) => (i * k) & 0xff);
let roots = 0;

describe.each<StoreBackend>(['opfs', 'indexeddb'])('checkpoint store (%s)', (backend) => {
  async function open(options: Partial<Parameters<typeof CheckpointStore.open>[0]> = {}) {
    let clock = 1_000;
    return CheckpointStore.open({
      backend,
      root: `test-runs-${Date.now()}-${roots++}`,
      now: () => (clock += 1_000),
      ...options,
    });
  }

  it('saves, lists, renames, replaces, loads and deletes runs', async () => {
    const store = await open();
    expect(store.kind).toBe(backend);
    expect(await store.list()).toEqual([]);
    const a = await store.save(bytesOf(3000, 7), { name: ' first run ', step: 10, preset: 'tiny' });
    const b = await store.save(bytesOf(500, 3), { name: 'second', step: 4, preset: null });
    expect(a).toMatchObject({ name: 'first run', step: 10, preset: 'tiny', size: 3000 });
    expect(a.id).not.toBe(b.id);
    expect((await store.list()).map((r) => r.name)).toEqual(['second', 'first run']);

    const renamed = await store.rename(a.id, 'the tiny run');
    expect(renamed).toEqual({ ...a, name: 'the tiny run' });

    const replaced = await store.save(bytesOf(3100, 5), {
      id: a.id,
      name: 'the tiny run',
      step: 20,
      preset: 'tiny',
    });
    expect(replaced).toMatchObject({ id: a.id, created: a.created, step: 20, size: 3100 });
    expect(replaced.updated).toBeGreaterThan(a.updated);
    expect(await store.list()).toEqual([replaced, b]);
    expect(await store.load(a.id)).toEqual(bytesOf(3100, 5));
    expect(await store.load(b.id)).toEqual(bytesOf(500, 3));

    await store.remove(a.id);
    expect(await store.list()).toEqual([b]);
    await expect(store.load(a.id)).rejects.toThrow(`There is no saved run "${a.id}"`);
    await expect(store.rename(a.id, 'x')).rejects.toThrow('There is no saved run');
    await store.remove(b.id);
    expect(await store.list()).toEqual([]);
  });

  it('refuses a save that does not fit, saying what is needed, free and deletable, and keeps the old checkpoint', async () => {
    let free = 1_000_000;
    const store = await open({
      estimate: async () => ({ usage: 5_000_000 - free, quota: 5_000_000 }),
    });
    const big = await store.save(bytesOf(400_000, 1), {
      name: 'big run',
      step: 300,
      preset: 'small',
    });
    const run = await store.save(bytesOf(1000, 9), { name: 'my run', step: 50, preset: 'tiny' });
    free = 1_500;
    const error = await store
      .save(bytesOf(2_500, 2), { id: run.id, name: 'my run', step: 60, preset: 'tiny' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StorageFullError);
    expect((error as StorageFullError).message).toBe(
      'Not enough storage to save this checkpoint: it needs 2.5 kB, and only 1.5 kB of the 5.0 MB the browser allows this site is free. Delete runs you no longer need (largest: "big run" (400.0 kB, step 300)), or clear other data this site keeps, then save again. The previous checkpoint of this run is unchanged.',
    );
    expect(await store.load(run.id)).toEqual(bytesOf(1000, 9));
    expect(await store.list()).toEqual([run, big]);
    await expect(
      store.save(bytesOf(2_500, 2), { name: 'new', step: 1, preset: null }),
    ).rejects.toThrow(/needs 2\.5 kB, and only 1\.5 kB .* Nothing was saved\.$/);
    expect(await store.list()).toEqual([run, big]);
  });

  it('refuses an empty name', async () => {
    const store = await open();
    await expect(store.save(bytesOf(10, 1), { name: '  ', step: 0, preset: null })).rejects.toThrow(
      'A run needs a name: type at least one character.',
    );
  });
});
