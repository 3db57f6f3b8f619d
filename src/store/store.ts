import { create } from 'zustand';
import { type ChecksSlice, initialChecks } from './checksSlice';
import { type GpuSlice, initialGpu } from './gpuSlice';
import { initialTraining, type TrainingSlice } from './trainingSlice';

export type StudioState = GpuSlice & ChecksSlice & TrainingSlice;

/** The studio's one store, made of slices; actions live in actions.ts, not in the store. */
export const useStudio = create<StudioState>()(() => ({
  ...initialGpu,
  ...initialChecks,
  ...initialTraining(),
}));

export function resetStudio(): void {
  useStudio.setState({ ...initialGpu, ...initialChecks, ...initialTraining() });
}
