// The LFR paper's experiments as worker verbs, composed into the studio worker's api with one
// spread: each runs its own training session on the GPU, beside the studio's current run.
import {
  EpochScores,
  type ForgettingProfile,
  profileEpochsProblem,
  profileOf,
  profileSchedule,
} from '../lfr/forgettingProfile';
import { type SessionState, TrainingSession } from '../train/session';
import { currentSession } from './current';
import { chosenData } from './data';
import { errorMessage } from './errorMessage';
import { requireGpu } from './gpu';
import type { StartResult, TrainSettings } from './protocol';

/** A forgetting profile to run: the form's model and training settings, over the chosen blocks. */
export interface ProfileRequest {
  settings: TrainSettings;
  epochs: number;
  /** The first maxBlocks blocks; 0 for all. */
  maxBlocks: number;
  /** Instead a random sample of maxBlocks blocks, drawn from the run's seed. */
  sampleBlocks?: boolean;
}

export interface ProfileProgress {
  state: SessionState;
  step: number;
  maxSteps: number;
  profile: ForgettingProfile;
  error?: string;
}

// The profile's own session, apart from the studio's current run.
let profileRun: TrainingSession | undefined;

export const lfrExperimentsApi = {
  /**
   * Trains with random sampling for `epochs` shuffled epochs over the chosen blocks, scoring
   * every block in every epoch from the training pass, and reports the forgetting profile as it
   * grows. Refused (with why) while a run or another profile trains.
   */
  async startForgettingProfile(
    request: ProfileRequest,
    onProgress: (p: ProfileProgress) => void,
  ): Promise<StartResult> {
    try {
      const problem = profileEpochsProblem(request.epochs);
      if (problem) return { ok: false, message: problem };
      if (currentSession()?.state === 'running' || profileRun) {
        return {
          ok: false,
          message:
            'A run is training: pause or stop it (or wait for the profile) before a forgetting profile.',
        };
      }
      const { settings } = request;
      const gpu = requireGpu();
      const data = await chosenData(settings.tokenizer);
      const train = { ...settings.train, evalInterval: 0 };
      const perStep = train.batchSize * train.gradAccumSteps;
      let scores: EpochScores | undefined;
      const report = (p: { state: SessionState; step: number; maxSteps: number }) => {
        if (!scores) return;
        onProgress({
          state: p.state,
          step: p.step,
          maxSteps: p.maxSteps,
          profile: profileOf(scores),
        });
      };
      const run = await TrainingSession.create(gpu, settings.model, train, data, report, {
        maxBlocks: request.maxBlocks,
        sampleSeed: request.sampleBlocks ? train.seed : undefined,
        schedule: (blocks) => {
          scores = new EpochScores(blocks.count, request.epochs, perStep);
          return profileSchedule(blocks, request.epochs, {
            batchSize: train.batchSize,
            accumSteps: train.gradAccumSteps,
            seed: train.seed,
          });
        },
        onStep: (r) => scores?.observe(r),
      });
      profileRun = run;
      run.start();
      void run.settled().finally(() => {
        run.destroy();
        if (profileRun === run) profileRun = undefined;
      });
      return { ok: true };
    } catch (e) {
      return { ok: false, message: errorMessage(e) };
    }
  },

  /** Stops the forgetting profile; what it measured so far stays reported. */
  async stopForgettingProfile(): Promise<void> {
    await profileRun?.stop();
  },
};
