import { useEffect } from 'react';
import { watchFinetuneCrash } from '../store/finetuneCrash';
import { applySettingsUrl, watchSettingsUrl } from '../store/linkActions';
import { watchFinetuneRecording } from '../store/replayFinetune';
import { selectFinetuneReplay } from '../store/replaySlice';
import { watchFailures } from '../store/runsActions';
import { useStudio } from '../store/store';
import { applyTourLink, splitTourLink } from '../store/tour';
import { isHidden } from '../store/urlSettings';
import { CheckPanel } from './CheckPanel';
import { FinetunePanel } from './finetune/FinetunePanel';
import { GpuPanel } from './GpuPanel';
import { FinetuneReplay } from './replay/FinetuneReplay';
import { ReplayBanner } from './replay/ReplayBanner';
import { ReplayEntry } from './replay/ReplayEntry';
import { TrainingPanel } from './TrainingPanel';
import { CHAPTERS } from './tour/chapters';
import { Tour, TourMenu } from './tour/Tour';

/** Replaces the query in place (no history entry per edit), keeping the path and any hash. */
function writeQuery(query: string): void {
  const { pathname, hash } = window.location;
  window.history.replaceState(
    window.history.state,
    '',
    `${pathname}${query && `?${query}`}${hash}`,
  );
}

export function App() {
  // The link's settings apply once; from then on the link follows the settings.
  useEffect(() => {
    // ?tour=<chapter> opens the guided tour there; the rest of the link is the settings.
    const link = splitTourLink(window.location.search);
    applySettingsUrl(link.query);
    if (link.tour !== undefined) applyTourLink(link.tour, CHAPTERS);
    return watchSettingsUrl(writeQuery);
  }, []);
  useEffect(watchFailures, []);
  useEffect(watchFinetuneRecording, []);
  useEffect(watchFinetuneCrash, []);
  const finetuneReplay = useStudio(selectFinetuneReplay);
  const gpuHidden = useStudio((s) => isHidden(s.classroom, 'gpu'));
  const checksHidden = useStudio((s) => isHidden(s.classroom, 'checks'));
  // Without WebGPU the GPU panel offers the replay; otherwise (or when it is hidden) the header does.
  const headerReplay = useStudio((s) => s.gpu?.ok === true || (s.gpu !== undefined && gpuHidden));
  return (
    <>
      <ReplayBanner />
      <header className="header">
        <h1>WebGPU Training Studio</h1>
        <p className="tagline">
          Train a small GPT on your own GPU in the browser; a research tool for LFR and LoRA-RITE.
        </p>
        <ul className="roadmap" aria-label="What exists so far">
          <li className="ready">GPU report</li>
          <li className="ready">Kernel check and matmul benchmark</li>
          <li className="ready">Training with live charts and sampling</li>
          <li className="ready">Training on your own text</li>
          <li className="ready">LFR: Learn, Focus, Review</li>
          <li className="ready">LoRA fine-tuning with Adam and LoRA-RITE</li>
          <li className="ready">Saved runs, export and import</li>
        </ul>
        <TourMenu />
        {headerReplay && <ReplayEntry />}
      </header>
      <main>
        <TrainingPanel />
        {finetuneReplay ? <FinetuneReplay /> : <FinetunePanel />}
        {!gpuHidden && <GpuPanel />}
        {!checksHidden && <CheckPanel />}
      </main>
      <Tour />
    </>
  );
}
