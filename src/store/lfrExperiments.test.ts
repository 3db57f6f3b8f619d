import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { StudioWorker } from '../worker/client';
import type { ProfileProgress, ProfileRequest } from '../worker/lfrExperimentsApi';
import { setWorkerFactory } from './actions';
import { editLfrField } from './lfrActions';
import {
  editProfileEpochs,
  initialLfrExperiments,
  runForgettingProfile,
  useLfrExperiments,
} from './lfrExperiments';
import { resetStudio } from './store';

const shares = {
  blocks: 4,
  learned: 0.5,
  unlearned: 0,
  unchanged: 0,
  forgotten: 0.5,
  forgottenTwice: 0.25,
};
const progress = (state: ProfileProgress['state'], step: number): ProfileProgress => ({
  state,
  step,
  maxSteps: 6,
  profile: { epochs: 3, epochsDone: 2, tolerance: 0.05, final: shares, perEpoch: [shares, shares] },
});

function fakeWorker(refuse?: string) {
  const requests: ProfileRequest[] = [];
  const emits: ((p: ProfileProgress) => void)[] = [];
  const fake = {
    startForgettingProfile: async (r: ProfileRequest, onProgress: (p: ProfileProgress) => void) => {
      requests.push(r);
      emits.push(onProgress);
      return refuse ? { ok: false as const, message: refuse } : { ok: true as const };
    },
  };
  setWorkerFactory(() => fake as unknown as StudioWorker);
  return { requests, emits };
}

describe('the forgetting profile in the page', () => {
  beforeEach(() => {
    resetStudio();
    useLfrExperiments.setState(initialLfrExperiments());
  });
  afterEach(resetStudio);

  it("asks the worker for the form's model over the blocks field, and follows its progress", async () => {
    const w = fakeWorker();
    editLfrField('blocks', '16');
    editProfileEpochs('3');
    expect(await runForgettingProfile()).toBe(true);
    expect(w.requests[0]).toMatchObject({ epochs: 3, maxBlocks: 16 });
    expect(w.requests[0].settings.model.nLayer).toBeGreaterThan(0);
    w.emits[0](progress('running', 2));
    expect(useLfrExperiments.getState().profile).toMatchObject({ status: 'running', step: 2 });
    w.emits[0](progress('done', 6));
    expect(useLfrExperiments.getState().profile.status).toBe('done');
    expect(useLfrExperiments.getState().profile.profile?.final.forgotten).toBe(0.5);
  });

  // Mutant caught: no run id check (the first profile's late event overwrites the second's view).
  it('shows a refusal, and ignores a late event of an earlier profile', async () => {
    const w = fakeWorker();
    await runForgettingProfile();
    await runForgettingProfile();
    w.emits[0](progress('done', 6));
    expect(useLfrExperiments.getState().profile.status).toBe('running');
    fakeWorker('A run is training: pause or stop it');
    expect(await runForgettingProfile()).toBe(false);
    expect(useLfrExperiments.getState().profile).toMatchObject({
      status: 'failed',
      error: 'A run is training: pause or stop it',
    });
  });
});
