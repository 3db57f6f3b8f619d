// A replay in the page: which recording is shown, how fast, and how far it has played. While
// `replay` is set, the studio shows a recording, not live training, and says so everywhere.
import type { RecordedAdapter } from '../replay/format';
import type { PlayerState, ReplaySpeed } from '../replay/player';

export interface ReplayState {
  /** Which view the recording plays into: the training run's or the fine-tune's. */
  kind: 'pretrain' | 'finetune';
  title: string;
  adapter: RecordedAdapter;
  recordedAt: string;
  speed: ReplaySpeed;
  status: PlayerState;
  /** Events played of `total`. */
  played: number;
  total: number;
}

export interface ReplaySlice {
  replay: ReplayState | undefined;
  /** A recording is being fetched or read. */
  replayLoading: boolean;
  /** Why the chosen recording could not be opened. */
  replayError: string | undefined;
  /** Why "Download recording" failed. */
  recordingError: string | undefined;
  /** Why "Download fine-tune recording" failed. */
  finetuneRecordingError: string | undefined;
}

export function initialReplay(): ReplaySlice {
  return {
    replay: undefined,
    replayLoading: false,
    replayError: undefined,
    recordingError: undefined,
    finetuneRecordingError: undefined,
  };
}

export const selectReplay = (s: ReplaySlice) => s.replay;
export const selectReplaying = (s: ReplaySlice) => s.replay !== undefined;
export const selectFinetuneReplay = (s: ReplaySlice) => s.replay?.kind === 'finetune';
