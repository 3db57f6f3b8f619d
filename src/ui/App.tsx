import { CheckPanel } from './CheckPanel';
import { GpuPanel } from './GpuPanel';
import { TrainingPanel } from './TrainingPanel';

export function App() {
  return (
    <>
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
          <li className="next">LFR, LoRA-RITE: later</li>
        </ul>
      </header>
      <main>
        <TrainingPanel />
        <GpuPanel />
        <CheckPanel />
      </main>
    </>
  );
}
