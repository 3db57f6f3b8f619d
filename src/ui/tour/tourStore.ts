// Which tour chapter and step is open; the tour's own state, apart from the studio's store.
import { create } from 'zustand';
import { useStudio } from '../../store/store';
import { CHAPTERS, type ChapterId } from './chapters';

export interface TourState {
  chapter: ChapterId | undefined;
  step: number;
}

export const useTour = create<TourState>()(() => ({ chapter: undefined, step: 0 }));

export const chapterOf = (id: ChapterId) => CHAPTERS.find((c) => c.id === id)!;

export function openTour(chapter: ChapterId): void {
  useTour.setState({ chapter, step: 0 });
}

export function closeTour(): void {
  useTour.setState({ chapter: undefined, step: 0 });
}

/** The next step, or the next chapter's first at a chapter's end; closes after the last. */
export function nextStep(): void {
  const { chapter, step } = useTour.getState();
  if (!chapter) return;
  if (step + 1 < chapterOf(chapter).steps.length) {
    useTour.setState({ step: step + 1 });
    return;
  }
  const i = CHAPTERS.findIndex((c) => c.id === chapter);
  if (i + 1 < CHAPTERS.length) openTour(CHAPTERS[i + 1].id);
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
export function chapterFromLink(value: string): { chapter?: ChapterId; message?: string } {
  const found = CHAPTERS.find((c) => c.id === value);
  if (found) return { chapter: found.id };
  const ids = CHAPTERS.map((c) => c.id);
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
export function applyTourLink(value: string): void {
  const { chapter, message } = chapterFromLink(value);
  if (chapter) openTour(chapter);
  if (message) {
    useStudio.setState((s) => ({
      classroom: { ...s.classroom, messages: [...s.classroom.messages, message] },
    }));
  }
}
