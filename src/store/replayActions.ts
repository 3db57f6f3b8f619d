// Replays in the page: open a shipped recording or a file, feed its events into the same actions a
// live run's events go through (so every view works on it), at the recorded pace or faster; and
// write the live run out as a recording. While a replay is shown the studio trains nothing.
import { historiesCsv, historiesJson } from '../lfr/export';
import { rankedIds, rankingAt } from '../lfr/ranking';
import {
  type AnyRecording,
  isFinetuneRecording,
  parseRecording,
  type Recording,
  RecordingError,
  recordingToJson,
} from '../replay/format';
import { type PlayerState, ReplayPlayer, type ReplaySpeed, type Timed } from '../replay/player';
import { errorMessage as message } from '../worker/errorMessage';
import type { BlockText, LfrExportKind, LfrRole } from '../worker/protocol';
import { currentWorker, progressListener } from './actions';
import { defaultLfrForm, type LfrFieldKey, lfrMirror, resetMirror } from './lfrSlice';
import { clearedFinetune, finetuneReplayStart, playFinetuneEvent } from './replayFinetune';
import { currentRecorder } from './replayRecording';
import type { ReplayState } from './replaySlice';
import { revalidate } from './settingsActions';
import { FIELDS, type FieldKey, formFromPreset, type PresetId, presetOf } from './settingsForm';
import { type StudioState, useStudio } from './store';
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

// The player of either kind of recording: the controls do not depend on its events' type.
let player: Pick<ReplayPlayer<Timed>, 'play' | 'pause' | 'setSpeed' | 'stop'> | undefined;
let shown: AnyRecording | undefined;

/** The pretraining recording on screen, while one is shown. */
export const shownRecording = (): Recording | undefined =>
  useStudio.getState().replay && shown && !isFinetuneRecording(shown) ? shown : undefined;

/** The recordings the studio ships (public/recordings/index.json). */
export async function listShippedRecordings(): Promise<ShippedRecording[]> {
  const response = await fetch(`${RECORDINGS_URL}index.json`);
  if (!response.ok) {
    throw new Error(`The list of recorded runs could not be loaded (HTTP ${response.status}).`);
  }
  const index = (await response.json()) as { recordings: ShippedRecording[] };
  return index.recordings;
}

async function open(read: () => Promise<AnyRecording>, speed: ReplaySpeed): Promise<boolean> {
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

// A pretraining recording's start: its settings in the form, its events through the live run's
// progress path (a replayed LFR run feeds its mirror as a live one does).
function pretrainingReplay(recording: Recording) {
  const role = recording.role ?? undefined;
  const listener = progressListener(role);
  if (role) resetMirror(role);
  const sink = (e: Recording['events'][number]) => {
    if (e.progress) listener(e.progress);
    else useStudio.setState({ sample: { busy: false, ...e.sample, error: undefined } });
  };
  return { state: { ...recordedForm(recording), lfrRole: role }, sink };
}

/** What a replay shows of a recording of either kind, and the events it plays. */
interface Shown<E extends Timed> {
  title: string;
  adapter: Recording['adapter'];
  recordedAt: string;
  events: readonly E[];
}

function show<E extends Timed>(
  recording: Shown<E>,
  kind: ReplayState['kind'],
  state: Partial<StudioState>,
  sink: (e: E) => void,
  speed: ReplaySpeed,
): void {
  const s = useStudio.getState();
  useStudio.setState(
    freshRun(s, {
      ...state,
      replay: {
        kind,
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
  const playing = new ReplayPlayer(recording.events, sink, speed, onState);
  player = playing;
  playing.play();
}

/**
 * Shows `recording` as the studio's run (or its fine-tune): its settings in the form, and its
 * events fed through the live path at the recorded times (scaled by `speed`). A live run's
 * events are ignored from here on.
 */
export function startReplay(recording: AnyRecording, speed: ReplaySpeed): void {
  player?.stop();
  shown = recording;
  if (isFinetuneRecording(recording)) {
    // A live pretraining run's events are not the replay's.
    progressListener();
    show(recording, 'finetune', finetuneReplayStart(recording), playFinetuneEvent, speed);
    return;
  }
  const { state, sink } = pretrainingReplay(recording);
  show(recording, 'pretrain', state, sink, speed);
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
  const finetune = useStudio.getState().replay?.kind === 'finetune';
  useStudio.setState((s) =>
    freshRun(s, { ...(finetune ? clearedFinetune() : {}), replay: undefined }),
  );
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
