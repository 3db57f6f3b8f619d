// The LFR paper's experiments in the page: the forgetting profile's field, its run and its result.
// A store of its own: an experiment runs beside the studio's run and shares none of its state.
import { create } from 'zustand';
import { DEFAULT_PROFILE_EPOCHS, type ForgettingProfile } from '../lfr/forgettingProfile';
import { callback } from '../worker/client';
import type { ProfileProgress } from '../worker/lfrExperimentsApi';
import { currentWorker } from './actions';
import { settingsFromForm } from './settingsForm';
import { useStudio } from './store';

export interface ProfileView {
  status: 'idle' | 'running' | 'done' | 'stopped' | 'failed';
  /** The epochs field as typed. */
  epochs: string;
  step: number;
  maxSteps: number;
  profile: ForgettingProfile | undefined;
  error: string | undefined;
}

export interface LfrExperiments {
  profile: ProfileView;
}

export const initialLfrExperiments = (): LfrExperiments => ({
  profile: {
    status: 'idle',
    epochs: String(DEFAULT_PROFILE_EPOCHS),
    step: 0,
    maxSteps: 0,
    profile: undefined,
    error: undefined,
  },
});

export const useLfrExperiments = create<LfrExperiments>(initialLfrExperiments);

const setProfile = (p: Partial<ProfileView>) =>
  useLfrExperiments.setState((s) => ({ profile: { ...s.profile, ...p } }));

export function editProfileEpochs(text: string): void {
  setProfile({ epochs: text });
}

// Events of an earlier profile must not reach a newer one's view.
let profileId = 0;

function applyProfileProgress(id: number, p: ProfileProgress): void {
  if (id !== profileId) return;
  // A profile pauses only on a non-finite loss, and is not continued: it has stopped.
  const status =
    p.state === 'done' || p.state === 'failed'
      ? p.state
      : p.state === 'stopped' || p.state === 'paused'
        ? 'stopped'
        : 'running';
  setProfile({
    status,
    step: p.step,
    maxSteps: p.maxSteps,
    profile: p.profile,
    error: p.error,
  });
}

/**
 * The forgetting profile of the form's model over the LFR form's blocks: random sampling for the
 * epochs asked, every block scored each epoch. Resolves once it started (true) or was refused.
 */
export async function runForgettingProfile(): Promise<boolean> {
  const s = useStudio.getState();
  const epochs = Number(useLfrExperiments.getState().profile.epochs);
  const id = ++profileId;
  setProfile({ status: 'running', step: 0, maxSteps: 0, profile: undefined, error: undefined });
  const settings = settingsFromForm(s.presetId, s.form, s.tokenizer);
  const maxBlocks = Number(s.lfrForm.values.blocks) || 0;
  try {
    const started = await currentWorker().startForgettingProfile(
      { settings, epochs, maxBlocks, sampleBlocks: s.lfrForm.sample === true },
      callback((p: ProfileProgress) => applyProfileProgress(id, p)),
    );
    if (!started.ok && id === profileId) setProfile({ status: 'failed', error: started.message });
    return started.ok;
  } catch (e) {
    if (id === profileId) {
      setProfile({ status: 'failed', error: e instanceof Error ? e.message : String(e) });
    }
    return false;
  }
}

export async function stopForgettingProfile(): Promise<void> {
  await currentWorker().stopForgettingProfile();
}
