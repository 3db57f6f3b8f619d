import { afterEach, describe, expect, it } from 'vitest';
import { resetStudio, useStudio } from './store';
import {
  applyTourLink,
  type ChapterOutline,
  closeTour,
  nextStep,
  openTour,
  previousStep,
  splitTourLink,
  useTour,
} from './tour';

const chapters: ChapterOutline[] = [
  { id: 'step', steps: [1, 2] },
  { id: 'lfr', steps: [1] },
];

describe('tour store', () => {
  afterEach(() => {
    closeTour();
    resetStudio();
  });

  it("goes through a chapter's steps, on to the next chapter, and closes after the last", () => {
    openTour('step');
    nextStep(chapters);
    expect(useTour.getState()).toEqual({ chapter: 'step', step: 1 });
    previousStep();
    expect(useTour.getState()).toEqual({ chapter: 'step', step: 0 });
    nextStep(chapters);
    nextStep(chapters);
    expect(useTour.getState()).toEqual({ chapter: 'lfr', step: 0 });
    nextStep(chapters);
    expect(useTour.getState()).toEqual({ chapter: undefined, step: 0 });
  });

  it('opens the chapter a link names, and says which chapters there are when it names none', () => {
    const { query, tour } = splitTourLink('preset=tiny&tour=lfr');
    expect(query).toBe('preset=tiny');
    applyTourLink(tour!, chapters);
    expect(useTour.getState().chapter).toBe('lfr');
    applyTourLink('nope', chapters);
    expect(useStudio.getState().classroom.messages).toEqual([
      'Link setting tour=nope ignored: tour takes step or lfr.',
    ]);
  });
});
