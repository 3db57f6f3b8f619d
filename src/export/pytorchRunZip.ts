// The run folder as one .zip download: stored (no compression; the tensors barely compress), with
// the CRC-32 every unzip checks. Plain zip (no zip64): each file and the whole archive under 4 GiB.
import { crc32 } from '../checkpoint/crc32';
import type { RunFile } from './pytorchRun';

const LOCAL = 0x04034b50;
const CENTRAL = 0x02014b50;
const END = 0x06054b50;
const LIMIT = 0xffffffff;
// 1980-01-01 00:00 in MS-DOS time: fixed, so the same run gives the same bytes.
const DOS_DATE = (0 << 9) | (1 << 5) | 1;

/** `files` under the folder `folder/` in one stored zip archive. */
export function zipFiles(folder: string, files: readonly RunFile[]): Uint8Array {
  const encoder = new TextEncoder();
  const entries = files.map((f) => ({
    name: encoder.encode(`${folder}/${f.name}`),
    bytes: f.bytes,
    crc: crc32(f.bytes),
  }));
  const localSize = entries.reduce((n, e) => n + 30 + e.name.length + e.bytes.length, 0);
  const centralSize = entries.reduce((n, e) => n + 46 + e.name.length, 0);
  const total = localSize + centralSize + 22;
  if (total > LIMIT) {
    throw new Error(
      `The run folder is ${total} bytes, over the 4 GiB a plain zip holds: export it with the command line (npm run export:pytorch), which writes a folder.`,
    );
  }
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  const offsets: number[] = [];
  let at = 0;
  // Fields common to the local and the central header, from "version needed" on.
  const common = (p: number, e: (typeof entries)[number]) => {
    view.setUint16(p, 20, true); // version needed: 2.0
    view.setUint16(p + 2, 0x0800, true); // flags: UTF-8 names
    view.setUint16(p + 4, 0, true); // method: stored
    view.setUint16(p + 6, 0, true); // time
    view.setUint16(p + 8, DOS_DATE, true);
    view.setUint32(p + 10, e.crc, true);
    view.setUint32(p + 14, e.bytes.length, true);
    view.setUint32(p + 18, e.bytes.length, true);
    view.setUint16(p + 22, e.name.length, true);
    view.setUint16(p + 24, 0, true); // extra field length
  };
  for (const e of entries) {
    offsets.push(at);
    view.setUint32(at, LOCAL, true);
    common(at + 4, e);
    out.set(e.name, at + 30);
    out.set(e.bytes, at + 30 + e.name.length);
    at += 30 + e.name.length + e.bytes.length;
  }
  const centralStart = at;
  entries.forEach((e, i) => {
    view.setUint32(at, CENTRAL, true);
    view.setUint16(at + 4, 20, true); // version made by
    common(at + 6, e);
    // comment length, disk, internal and external attributes: 0
    view.setUint32(at + 42, offsets[i], true);
    out.set(e.name, at + 46);
    at += 46 + e.name.length;
  });
  view.setUint32(at, END, true);
  view.setUint16(at + 8, entries.length, true);
  view.setUint16(at + 10, entries.length, true);
  view.setUint32(at + 12, centralSize, true);
  view.setUint32(at + 16, centralStart, true);
  return out;
}
