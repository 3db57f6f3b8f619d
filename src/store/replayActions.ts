// Replays in the page: open a shipped recording or a file, feed its events into the same actions a
// live run's events go through (so every view works on it), at the recorded pace or faster; and
// write the live run out as a recording. While a replay is shown the studio trains nothing.
import { historiesCsv, historiesJson } from '../lfr/export';
import { rankedIds, rankingAt } from '../lfr/ranking';
import { parseRecording, type Recording, RecordingError, recordingToJson } from '../replay/format';
import { type PlayerState, ReplayPlayer, type ReplaySpeed } from '../replay/player';
import { errorMessage as message } from '../worker/errorMessage';
import type { BlockText, LfrExportKind, LfrRole } from '../worker/protocol';
import { currentWorker, progressListener } from './actions';
import { defaultLfrForm, type LfrFieldKey, lfrMirror, resetMirror } from './lfrSlice';
import { currentRecorder } from './replayRecording';
import { revalidate } from './settingsActions';
import { FIELDS, type FieldKey, formFromPreset, type PresetId, presetOf } from './settingsForm';
import { useStudio } from './store';
import { freshRun } from './trainingSlice';

/** A recording shipped in public/recordings/, as its index lists it. */
export interface ShippedRecording {
  file: string;
  title: string;
  description: string;
}

const RECORDINGS_URL = `${import.meta.env.BASE_URL}recordings/`;

/** An LFR run's block texts go into its recording up to this many blocks (all of a small run). */
export const MAX_BLOCK_TEXTS = 256;

let player: ReplayPlayer | undefined;
let shown: Recording | undefined;

/** The recording on screen, while a replay is shown. */
export const shownRecording = (): Recording | undefined =>
  useStudio.getState().replay ? shown : undefined;

/** The recordings the studio ships (public/recordings/index.json). */
export async function listShippedRecordings(): Promise<ShippedRecording[]> {
  const response = await fetch(`${RECORDINGS_URL}index.json`);
  if (!response.ok) {
    throw new Error(`The list of recorded runs could not be loaded (HTTP ${response.status}).`);
  }
  const index = (await response.json()) as { recordings: ShippedRecording[] };
  return index.recordings;
}

async function open(read: () => Promise<Recording>, speed: ReplaySpeed): Promise<boolean> {
  useStudio.setState({ replayLoading: true, replayError: undefined });
  try {
    const recording = await read();
    useStudio.setState({ replayLoading: false });
    startReplay(recording, speed);
    return true;
  } catch (e) {
    useStudio.setState({ replayLoading: false, replayError: message(e) });
    return false;
  }
}

/** Fetches a shipped recording and plays it. */
export function openShippedRecording(file: string, speed: ReplaySpeed): Promise<boolean> {
  return open(async () => {
    const response = await fetch(`${RECORDINGS_URL}${file}`);
    if (!response.ok) {
      throw new RecordingError(
        `The recording ${file} could not be loaded (HTTP ${response.status}).`,
      );
    }
    return parseRecording(await response.text(), file);
  }, speed);
}

/** Reads a recording the user picked (one written by "Download recording") and plays it. */
export function openRecordingFile(file: File, speed: ReplaySpeed): Promise<boolean> {
  return open(async () => parseRecording(await file.text(), file.name), speed);
}

// The recorded form, over the recorded preset's defaults (fields it does not name keep them).
function recordedForm(r: Recording) {
  const known = ['tiny', 'small', 'medium'] as const;
  const presetId: PresetId = known.includes(r.form.presetId as PresetId)
    ? (r.form.presetId as PresetId)
    : 'tiny';
  const form = formFromPreset(presetOf(presetId));
  for (const { key } of FIELDS) {
    const v = r.form.values[key];
    if (v !== undefined) form[key as FieldKey] = v;
  }
  const lfrForm = defaultLfrForm();
  if (r.form.lfr) {
    lfrForm.schedule = 'lfr';
    for (const key of Object.keys(lfrForm.values) as LfrFieldKey[]) {
      const v = r.form.lfr[key];
      if (v !== undefined) lfrForm.values[key] = v;
    }
  }
  return { presetId, tokenizer: r.form.tokenizer, form, lfrForm };
}

/**
 * Shows `recording` as the studio's run: its settings in the form, and its events fed through
 * the live run's progress path at the recorded times (scaled by `speed`). A live run's events
 * are ignored from here on.
 */
export function startReplay(recording: Recording, speed: ReplaySpeed): void {
  player?.stop();
  shown = recording;
  const role = recording.role ?? undefined;
  const listener = progressListener(role);
  if (role) resetMirror(role);
  const s = useStudio.getState();
  useStudio.setState(
    freshRun(s, {
      ...recordedForm(recording),
      lfrRole: role,
      replay: {
        title: recording.title,
        adapter: recording.adapter,
        recordedAt: recording.recordedAt,
        speed,
        status: 'playing',
        played: 0,
        total: recording.events.length,
      },
      replayError: undefined,
    }),
  );
  revalidate();
  const onState = (status: PlayerState, played: number) =>
    useStudio.setState((st) => ({ replay: st.replay && { ...st.replay, status, played } }));
  player = new ReplayPlayer(
    recording.events,
    (e) => {
      if (e.progress) listener(e.progress);
      else useStudio.setState({ sample: { busy: false, ...e.sample, error: undefined } });
    },
    speed,
    onState,
  );
  player.play();
}

export function setReplaySpeed(speed: ReplaySpeed): void {
  player?.setSpeed(speed);
  useStudio.setState((s) => ({ replay: s.replay && { ...s.replay, speed } }));
}

export function pauseReplay(): void {
  player?.pause();
}

export function resumeReplay(): void {
  player?.play();
  useStudio.setState((s) => ({ replay: s.replay && { ...s.replay, status: 'playing' } }));
}

/** Plays the shown recording again from its start, at the current speed. */
export function restartReplay(): void {
  const s = useStudio.getState();
  if (shown && s.replay) startReplay(shown, s.replay.speed);
}

/** Back to the live studio: the recording's views go; its settings stay in the form. */
export function leaveReplay(): void {
  player?.stop();
  player = undefined;
  shown = undefined;
  // Any later event of the replay's listener is ignored.
  progressListener();
  useStudio.setState((s) => freshRun(s, { replay: undefined }));
}

/** A block's text as the replayed run recorded it. */
export function recordedBlockText(r: Recording, id: number): BlockText {
  const text = r.blockTexts.find((b) => b.id === id);
  if (!text) {
    throw new Error(
      `This recording does not include the text of block ${id}: it keeps the texts of ${r.blockTexts.length} blocks.`,
    );
  }
  return text;
}

/** A replayed run's file: the recorded schedule, or the histories from the replayed scores. */
export function recordedExport(r: Recording, role: LfrRole, kind: LfrExportKind): string {
  if (kind === 'schedule') {
    if (r.schedule === undefined) throw new Error('This recording does not include its schedule.');
    return r.schedule;
  }
  const mirror = lfrMirror(role);
  if (!mirror) throw new Error('The replay has not reached the schedule yet.');
  return kind === 'historiesCsv'
    ? historiesCsv(mirror.scores)
    : JSON.stringify(historiesJson(mirror.scores));
}

// The ids whose texts a recording keeps: all of a small run; of a big one the hardest and the
// easiest now, ranked as the block table ranks them (scores of one age).
function recordedIds(role: LfrRole): number[] {
  const mirror = lfrMirror(role);
  if (!mirror) return [];
  const ids = Array.from({ length: mirror.plan.blockCount }, (_, i) => i);
  if (ids.length <= MAX_BLOCK_TEXTS) return ids;
  const ranked = rankedIds(rankingAt(mirror, mirror.currentPhase()));
  const half = MAX_BLOCK_TEXTS / 2;
  return ranked.length <= MAX_BLOCK_TEXTS
    ? ranked
    : [...ranked.slice(0, half), ...ranked.slice(-half)];
}

/**
 * The live run as a recording file (JSON text): what the page received, with the texts of its
 * blocks and its schedule from the worker. Undefined (and recordingError set) when it failed.
 */
export async function recordingJson(): Promise<string | undefined> {
  const recorder = currentRecorder();
  try {
    if (!recorder || recorder.progressCount === 0) {
      throw new Error('There is no run to record yet: train for at least one step.');
    }
    const role = recorder.run.role ?? undefined;
    const w = currentWorker();
    const blockTexts = role
      ? await Promise.all(recordedIds(role).map((id) => w.blockText(role, id)))
      : [];
    const schedule = role ? await w.exportLfr(role, 'schedule') : undefined;
    useStudio.setState({ recordingError: undefined });
    return recordingToJson(recorder.recording(blockTexts, schedule));
  } catch (e) {
    useStudio.setState({ recordingError: message(e) });
    return undefined;
  }
}
