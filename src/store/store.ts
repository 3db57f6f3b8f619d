import { create } from 'zustand';
import { type ChecksSlice, initialChecks } from './checksSlice';
import { type FinetuneSlice, initialFinetune } from './finetuneSlice';
import { type GpuSlice, initialGpu } from './gpuSlice';
import { initialLfr, type LfrSlice } from './lfrSlice';
import { initialReplay, type ReplaySlice } from './replaySlice';
import { initialRuns, type RunsSlice } from './runsSlice';
import { initialTraining, type TrainingSlice } from './trainingSlice';
import { initialUserData, type UserDataSlice } from './userDataSlice';

export type StudioState = GpuSlice &
  ChecksSlice &
  TrainingSlice &
  FinetuneSlice &
  UserDataSlice &
  LfrSlice &
  RunsSlice &
  ReplaySlice;

/** The studio's one store, made of slices; actions live in actions.ts, not in the store. */
export const useStudio = create<StudioState>()(() => ({
  ...initialGpu,
  ...initialChecks,
  ...initialTraining(),
  ...initialUserData,
  ...initialLfr(),
  ...initialFinetune(),
  ...initialRuns(),
  ...initialReplay(),
}));

export function resetStudio(): void {
  useStudio.setState({
    ...initialGpu,
    ...initialChecks,
    ...initialTraining(),
    ...initialUserData,
    ...initialLfr(),
    ...initialFinetune(),
    ...initialRuns(),
    ...initialReplay(),
  });
}
