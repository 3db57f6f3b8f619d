import { create } from 'zustand';
import { type ChecksSlice, initialChecks } from './checksSlice';
import { type GpuSlice, initialGpu } from './gpuSlice';

export type StudioState = GpuSlice & ChecksSlice;

/** The studio's one store, made of slices; actions live in actions.ts, not in the store. */
export const useStudio = create<StudioState>()(() => ({ ...initialGpu, ...initialChecks }));

export function resetStudio(): void {
  useStudio.setState({ ...initialGpu, ...initialChecks });
}
