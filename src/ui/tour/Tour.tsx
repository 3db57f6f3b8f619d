import './tour.css';
import { useEffect, useRef, useState } from 'react';
import { selectGpuReady } from '../../store/gpuSlice';
import { useStudio } from '../../store/store';
import { closeTour, nextStep, openTour, previousStep, useTour } from '../../store/tour';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';
import { Formula } from '../help/HelpTip';
import { CHAPTERS, chapterOf, type Need, needMet, startShortRun, watchRecording } from './chapters';

const HIGHLIGHT = 'tour-target';

/**
 * Finds the step's element (it may appear later, e.g. once a run took its first step), marks
 * it and scrolls it into view; returns whether it is there.
 */
function useHighlight(selector: string | undefined): boolean {
  const [found, setFound] = useState(false);
  useEffect(() => {
    setFound(false);
    if (!selector) return;
    let el: Element | null = null;
    const look = () => {
      const next = document.querySelector(selector);
      if (next === el) return;
      el?.classList.remove(HIGHLIGHT);
      el = next;
      setFound(el !== null);
      if (!el) return;
      el.classList.add(HIGHLIGHT);
      el.scrollIntoView({ block: 'center' });
    };
    look();
    // The views mount and remount as a run goes: keep following the element.
    const timer = setInterval(look, 250);
    return () => {
      clearInterval(timer);
      el?.classList.remove(HIGHLIGHT);
    };
  }, [selector]);
  return found;
}

/** Offers what fills a view: a short run on this GPU, or a shipped recording. */
function NeedOffer({ need }: { need: Need }) {
  const gpuReady = useStudio(selectGpuReady);
  // A live run fills the view by itself; a replay shown may be replaced by another.
  const busy = useStudio((s) => !s.replay && (selectRunLive(s) || selectRunStarting(s)));
  const what = need === 'run' ? 'a run' : 'an LFR run';
  if (busy) {
    return <p className="muted">The run is going: this view fills in as it trains.</p>;
  }
  return (
    <div className="tour-need" data-testid="tour-need">
      <p>This view needs {what}. Start one:</p>
      <div className="toolbar">
        {gpuReady && (
          <button type="button" data-testid="tour-train" onClick={() => startShortRun(need)}>
            Train a short one
          </button>
        )}
        <button type="button" data-testid="tour-watch" onClick={() => watchRecording(need)}>
          Watch a recording
        </button>
      </div>
    </div>
  );
}

/**
 * The tour's popover: a non-modal dialog at the side of the page, so the real studio stays
 * usable under it. Focus goes to its title at each step and back to where it was on leaving;
 * Escape or the close button leaves at any time.
 */
export function Tour() {
  const { chapter, step } = useTour();
  const titleRef = useRef<HTMLHeadingElement>(null);
  const opener = useRef<Element | null>(null);
  const current = chapter ? chapterOf(chapter) : undefined;
  const s = current?.steps[step];
  // Re-evaluated as the run (or the replay) brings data.
  const met = useStudio(() => needMet(s?.needs));
  const found = useHighlight(met ? s?.target : undefined);

  // Each step (a new `s`) takes the focus to its title, so a screen reader reads it.
  useEffect(() => {
    if (!s) return;
    opener.current ??= document.activeElement;
    titleRef.current?.focus();
  }, [s]);

  useEffect(() => {
    if (chapter) return;
    const back = opener.current;
    opener.current = null;
    if (back instanceof HTMLElement && back.isConnected) back.focus();
  }, [chapter]);

  useEffect(() => {
    if (s && met) s.enter?.();
  }, [s, met]);

  useEffect(() => {
    if (!chapter) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') closeTour();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [chapter]);

  if (!current || !s) return null;
  const index = CHAPTERS.indexOf(current);
  const last = step === current.steps.length - 1;
  return (
    <section
      className="tour"
      role="dialog"
      aria-modal="false"
      aria-labelledby="tour-title"
      aria-describedby="tour-text"
      data-testid="tour"
      data-chapter={current.id}
      data-step={step}
      data-steps={current.steps.length}
      data-target={s.target ?? ''}
      data-target-found={s.target ? found : true}
    >
      <p className="tour-where">
        Chapter {index + 1} of {CHAPTERS.length}: {current.title} · step {step + 1} of{' '}
        {current.steps.length}
      </p>
      <h2 id="tour-title" ref={titleRef} tabIndex={-1}>
        {s.title}
      </h2>
      <p id="tour-text">{s.text}</p>
      {s.formula && <Formula tex={s.formula} />}
      {s.needs && !met && <NeedOffer need={s.needs} />}
      <div className="toolbar tour-nav">
        <button type="button" data-testid="tour-back" disabled={step === 0} onClick={previousStep}>
          Back
        </button>
        <button type="button" data-testid="tour-next" onClick={() => nextStep(CHAPTERS)}>
          {last ? (index + 1 < CHAPTERS.length ? 'Next chapter' : 'Finish') : 'Next'}
        </button>
        <button
          type="button"
          className="tour-close"
          data-testid="tour-close"
          aria-label="Leave the tour"
          onClick={closeTour}
        >
          ×
        </button>
      </div>
    </section>
  );
}

/** The chapter menu: each chapter can be entered directly. */
export function TourMenu() {
  const open = useTour((t) => t.chapter);
  return (
    <nav className="tour-menu" aria-label="Guided tour" data-testid="tour-menu">
      <span className="tour-menu-label">Guided tour:</span>
      <ol>
        {CHAPTERS.map((c) => (
          <li key={c.id}>
            <button
              type="button"
              className="link"
              data-testid={`tour-chapter-${c.id}`}
              aria-current={open === c.id ? 'step' : undefined}
              onClick={() => openTour(c.id)}
            >
              {c.title}
            </button>
          </li>
        ))}
      </ol>
    </nav>
  );
}
