// Which tour chapter and step is open: the tour's own small store, apart from the studio's. The
// chapters' content (texts, targets, set-ups) is the page's: src/ui/tour/chapters.ts.
import { create } from 'zustand';
import { useStudio } from './store';

export type ChapterId = 'step' | 'lfr' | 'heatmap' | 'forgetting' | 'lora';

/** What moving through the tour needs of its chapters, in order: their ids and step counts. */
export interface ChapterOutline {
  id: ChapterId;
  steps: readonly unknown[];
}

export interface TourState {
  chapter: ChapterId | undefined;
  step: number;
}

export const useTour = create<TourState>()(() => ({ chapter: undefined, step: 0 }));

export function openTour(chapter: ChapterId): void {
  useTour.setState({ chapter, step: 0 });
}

export function closeTour(): void {
  useTour.setState({ chapter: undefined, step: 0 });
}

/** The next step, or the next chapter's first at a chapter's end; closes after the last. */
export function nextStep(chapters: readonly ChapterOutline[]): void {
  const { chapter, step } = useTour.getState();
  if (!chapter) return;
  const i = chapters.findIndex((c) => c.id === chapter);
  if (step + 1 < chapters[i].steps.length) {
    useTour.setState({ step: step + 1 });
    return;
  }
  if (i + 1 < chapters.length) openTour(chapters[i + 1].id);
  else closeTour();
}

export function previousStep(): void {
  const { chapter, step } = useTour.getState();
  if (chapter && step > 0) useTour.setState({ step: step - 1 });
}

/**
 * The chapter a link names (?tour=<chapter>), or a message in the words of the link's other
 * messages when it names none the tour has.
 */
export function chapterFromLink(
  value: string,
  chapters: readonly ChapterOutline[],
): { chapter?: ChapterId; message?: string } {
  const found = chapters.find((c) => c.id === value);
  if (found) return { chapter: found.id };
  const ids = chapters.map((c) => c.id);
  return {
    message: `Link setting tour=${value} ignored: tour takes ${ids.slice(0, -1).join(', ')} or ${ids[ids.length - 1]}.`,
  };
}

/** Splits ?tour=<chapter> off a query string: the rest is the settings link. */
export function splitTourLink(query: string): { query: string; tour: string | undefined } {
  const params = new URLSearchParams(query);
  const tour = params.get('tour') ?? undefined;
  params.delete('tour');
  return { query: params.toString(), tour };
}

/** Opens the chapter a link names, or adds the link's message about it. */
export function applyTourLink(value: string, chapters: readonly ChapterOutline[]): void {
  const { chapter, message } = chapterFromLink(value, chapters);
  if (chapter) openTour(chapter);
  if (message) {
    useStudio.setState((s) => ({
      classroom: { ...s.classroom, messages: [...s.classroom.messages, message] },
    }));
  }
}
