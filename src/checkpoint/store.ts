// Saved runs in the browser: one checkpoint file per run plus its metadata, in the Origin Private
// File System when the browser offers it (fast, made for large files), else in IndexedDB.
// A save checks the quota first, and a failed save leaves the run's previous checkpoint intact.

/** A saved run as the list of runs shows it. */
export interface RunMeta {
  id: string;
  name: string;
  /** Milliseconds since the epoch. */
  created: number;
  updated: number;
  /** Optimizer steps in the saved checkpoint. */
  step: number;
  /** The preset the run started from, or null. */
  preset: string | null;
  /** Checkpoint size in bytes. */
  size: number;
  /** A fine-tune's checkpoint (finetuneFormat.ts); absent: a pretraining run's (format.ts). */
  kind?: 'finetune';
}

export interface SaveRequest {
  /** The run to replace; omitted for a new run. */
  id?: string;
  name: string;
  step: number;
  preset: string | null;
  kind?: 'finetune';
}

export type StoreBackend = 'opfs' | 'indexeddb';

export interface StoreOptions {
  /** Default: OPFS when navigator.storage.getDirectory works, else IndexedDB. */
  backend?: StoreBackend;
  /** OPFS directory / IndexedDB database name (tests use their own). */
  root?: string;
  /** Free-space probe; default navigator.storage.estimate (tests inject a full disk). */
  estimate?: () => Promise<StorageEstimate>;
  /** Clock for created/updated; default Date.now. */
  now?: () => number;
}

/** A refused save: the message says how much is needed and free, and what to delete. */
export class StorageFullError extends Error {
  constructor(
    message: string,
    readonly needed: number,
    readonly free: number,
  ) {
    super(message);
    this.name = 'StorageFullError';
  }
}

export const DEFAULT_STORE_ROOT = 'studio-runs';
const MAX_NAME = 100;

/** Bytes as a person reads them: 1.5 MB (powers of 1000, as browsers show storage). */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  const units = ['kB', 'MB', 'GB', 'TB'];
  let v = n / 1000;
  let u = 0;
  while (v >= 1000 && u < units.length - 1) {
    v /= 1000;
    u++;
  }
  return `${v.toFixed(1)} ${units[u]}`;
}

/** Where the bytes live; each write of a run's bytes replaces the old ones all at once or not at all. */
interface Backend {
  readonly kind: StoreBackend;
  metas(): Promise<RunMeta[]>;
  /** Writes the checkpoint and its metadata; on failure the previous ones are unchanged. */
  writeRun(meta: RunMeta, bytes: Uint8Array): Promise<void>;
  writeMeta(meta: RunMeta): Promise<void>;
  bytes(id: string): Promise<Uint8Array | undefined>;
  remove(id: string): Promise<void>;
}

export class CheckpointStore {
  private constructor(
    private readonly backend: Backend,
    private readonly estimate: (() => Promise<StorageEstimate>) | null,
    private readonly now: () => number,
  ) {}

  static async open(options: StoreOptions = {}): Promise<CheckpointStore> {
    const root = options.root ?? DEFAULT_STORE_ROOT;
    const kind = options.backend ?? ((await opfsRoot(root)) ? 'opfs' : 'indexeddb');
    const backend = kind === 'opfs' ? await OpfsBackend.open(root) : new IdbBackend(root);
    const storage = globalThis.navigator?.storage;
    const estimate = options.estimate ?? (storage?.estimate ? () => storage.estimate() : null);
    return new CheckpointStore(backend, estimate, options.now ?? Date.now);
  }

  get kind(): StoreBackend {
    return this.backend.kind;
  }

  /** Every saved run, the most recently updated first. */
  async list(): Promise<RunMeta[]> {
    return (await this.backend.metas()).sort((a, b) => b.updated - a.updated);
  }

  /**
   * Saves `bytes` as a new run, or as the new checkpoint of run `request.id`. Refuses with a
   * StorageFullError, writing nothing, when the browser's quota has no room for it.
   */
  async save(bytes: Uint8Array, request: SaveRequest): Promise<RunMeta> {
    const name = checkName(request.name);
    const runs = await this.list();
    const previous = request.id === undefined ? undefined : runs.find((r) => r.id === request.id);
    if (request.id !== undefined && !previous) throw missing(request.id);
    await this.checkRoom(bytes.length, runs, previous);
    const now = this.now();
    const meta: RunMeta = {
      id: previous?.id ?? newRunId(now),
      name,
      created: previous?.created ?? now,
      updated: now,
      step: request.step,
      preset: request.preset,
      size: bytes.length,
      ...(request.kind ? { kind: request.kind } : {}),
    };
    try {
      await this.backend.writeRun(meta, bytes);
    } catch (e) {
      const reason = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      const kept = previous ? ' The previous checkpoint of this run is unchanged.' : '';
      throw new Error(`The checkpoint could not be saved (${reason}).${kept}`);
    }
    return meta;
  }

  async rename(id: string, name: string): Promise<RunMeta> {
    const meta = (await this.backend.metas()).find((r) => r.id === id);
    if (!meta) throw missing(id);
    const renamed = { ...meta, name: checkName(name) };
    await this.backend.writeMeta(renamed);
    return renamed;
  }

  /** The run's checkpoint bytes (decode them with decodeCheckpoint). */
  async load(id: string): Promise<Uint8Array> {
    const bytes = await this.backend.bytes(id);
    if (!bytes) throw missing(id);
    return bytes;
  }

  async remove(id: string): Promise<void> {
    await this.backend.remove(id);
  }

  private async checkRoom(needed: number, runs: RunMeta[], previous?: RunMeta): Promise<void> {
    if (!this.estimate) return;
    const { usage, quota } = await this.estimate();
    if (usage === undefined || quota === undefined) return;
    const free = Math.max(0, quota - usage);
    // The previous checkpoint stays until the new one is written, so the new one needs its own room.
    if (needed <= free) return;
    const others = runs
      .filter((r) => r.id !== previous?.id)
      .sort((a, b) => b.size - a.size)
      .slice(0, 3)
      .map((r) => `"${r.name}" (${formatBytes(r.size)}, step ${r.step})`);
    const what =
      others.length > 0
        ? `Delete runs you no longer need (largest: ${others.join(', ')}), or clear other data this site keeps`
        : "Free space on the disk or clear this site's other data in the browser's settings";
    const kept = previous
      ? ' The previous checkpoint of this run is unchanged.'
      : ' Nothing was saved.';
    throw new StorageFullError(
      `Not enough storage to save this checkpoint: it needs ${formatBytes(needed)}, and only ${formatBytes(free)} of the ${formatBytes(quota)} the browser allows this site is free. ${what}, then save again.${kept}`,
      needed,
      free,
    );
  }
}

function checkName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.length === 0) throw new Error('A run needs a name: type at least one character.');
  if (trimmed.length > MAX_NAME)
    throw new Error(`A run's name has at most ${MAX_NAME} characters, not ${trimmed.length}.`);
  return trimmed;
}

function missing(id: string): Error {
  return new Error(
    `There is no saved run "${id}": it was deleted (maybe in another tab). Refresh the list of runs.`,
  );
}

function newRunId(now: number): string {
  const random = crypto.getRandomValues(new Uint32Array(1))[0].toString(36);
  return `run-${now.toString(36)}-${random}`;
}

// ---- OPFS: <root>/<id>.ckpt and <root>/<id>.json ----

/** What Chromium's OPFS offers beyond TypeScript's DOM types (listing, move). */
interface ListableDirectory extends FileSystemDirectoryHandle {
  keys(): AsyncIterable<string>;
}
interface MovableFile extends FileSystemFileHandle {
  move(dir: FileSystemDirectoryHandle, name: string): Promise<void>;
}

async function opfsRoot(root: string): Promise<FileSystemDirectoryHandle | null> {
  try {
    const top = await globalThis.navigator?.storage?.getDirectory?.();
    return top ? await top.getDirectoryHandle(root, { create: true }) : null;
  } catch {
    return null;
  }
}

const TMP = '.tmp';

class OpfsBackend implements Backend {
  readonly kind = 'opfs';

  private constructor(private readonly dir: FileSystemDirectoryHandle) {}

  static async open(root: string): Promise<OpfsBackend> {
    const dir = await opfsRoot(root);
    if (!dir) throw new Error('This browser offers no Origin Private File System for saved runs.');
    return new OpfsBackend(dir);
  }

  async metas(): Promise<RunMeta[]> {
    const out: RunMeta[] = [];
    for await (const name of (this.dir as ListableDirectory).keys()) {
      if (!name.endsWith('.json')) continue;
      const file = await (await this.dir.getFileHandle(name)).getFile();
      out.push(JSON.parse(await file.text()) as RunMeta);
    }
    return out;
  }

  async writeRun(meta: RunMeta, bytes: Uint8Array): Promise<void> {
    const tmp = `${meta.id}.ckpt${TMP}`;
    try {
      await this.write(tmp, bytes);
    } catch (e) {
      await this.dir.removeEntry(tmp).catch(() => undefined);
      throw e;
    }
    const handle = (await this.dir.getFileHandle(tmp)) as MovableFile;
    try {
      await handle.move(this.dir, `${meta.id}.ckpt`);
    } catch {
      // Browsers whose move() will not replace a file: remove the old one, then move.
      await this.dir.removeEntry(`${meta.id}.ckpt`).catch(() => undefined);
      await handle.move(this.dir, `${meta.id}.ckpt`);
    }
    await this.writeMeta(meta);
  }

  async writeMeta(meta: RunMeta): Promise<void> {
    await this.write(`${meta.id}.json`, new TextEncoder().encode(JSON.stringify(meta)));
  }

  async bytes(id: string): Promise<Uint8Array | undefined> {
    try {
      const file = await (await this.dir.getFileHandle(`${id}.ckpt`)).getFile();
      return new Uint8Array(await file.arrayBuffer());
    } catch (e) {
      if (e instanceof DOMException && e.name === 'NotFoundError') return undefined;
      throw e;
    }
  }

  async remove(id: string): Promise<void> {
    // Metadata first: a run without it is not listed, so a half-finished delete hides nothing.
    for (const name of [`${id}.json`, `${id}.ckpt`, `${id}.ckpt${TMP}`]) {
      await this.dir.removeEntry(name).catch((e: unknown) => {
        if (!(e instanceof DOMException && e.name === 'NotFoundError')) throw e;
      });
    }
  }

  // createWritable writes to a swap file and replaces the file only on close().
  private async write(name: string, bytes: Uint8Array): Promise<void> {
    const handle = await this.dir.getFileHandle(name, { create: true });
    const stream = await handle.createWritable();
    try {
      await stream.write(bytes as Uint8Array<ArrayBuffer>);
      await stream.close();
    } catch (e) {
      await stream.abort().catch(() => undefined);
      throw e;
    }
  }
}

// ---- IndexedDB: store "meta" and store "bytes", keyed by run id ----

function request<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error);
  });
}

class IdbBackend implements Backend {
  readonly kind = 'indexeddb';

  constructor(private readonly dbName: string) {}

  private open(): Promise<IDBDatabase> {
    const req = indexedDB.open(this.dbName, 1);
    req.onupgradeneeded = () => {
      req.result.createObjectStore('meta');
      req.result.createObjectStore('bytes');
    };
    return request(req);
  }

  // One transaction: its writes land together or not at all (the atomic replace).
  private async tx<T>(
    mode: IDBTransactionMode,
    use: (meta: IDBObjectStore, bytes: IDBObjectStore) => IDBRequest<T>,
  ): Promise<T> {
    const db = await this.open();
    try {
      const tx = db.transaction(['meta', 'bytes'], mode);
      const done = new Promise<void>((resolve, reject) => {
        tx.oncomplete = () => resolve();
        tx.onerror = () => reject(tx.error);
        tx.onabort = () => reject(tx.error);
      });
      const result = await request(use(tx.objectStore('meta'), tx.objectStore('bytes')));
      await done;
      return result;
    } finally {
      db.close();
    }
  }

  metas(): Promise<RunMeta[]> {
    return this.tx('readonly', (meta) => meta.getAll() as IDBRequest<RunMeta[]>);
  }

  async writeRun(meta: RunMeta, bytes: Uint8Array): Promise<void> {
    await this.tx('readwrite', (metas, store) => {
      store.put(bytes, meta.id);
      return metas.put(meta, meta.id);
    });
  }

  async writeMeta(meta: RunMeta): Promise<void> {
    await this.tx('readwrite', (metas) => metas.put(meta, meta.id));
  }

  bytes(id: string): Promise<Uint8Array | undefined> {
    return this.tx('readonly', (_, store) => store.get(id) as IDBRequest<Uint8Array | undefined>);
  }

  async remove(id: string): Promise<void> {
    await this.tx('readwrite', (metas, store) => {
      store.delete(id);
      return metas.delete(id);
    });
  }
}
