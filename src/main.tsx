import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connectGpu, loseDevice } from './store/gpuActions';
import { useStudio } from './store/store';
import { App } from './ui/App';
import './ui/studio.css';

// A typed hook into app state for end-to-end tests and the console (as tldraw exposes its editor).
declare global {
  interface Window {
    studio: { store: typeof useStudio; loseDevice: typeof loseDevice };
  }
}
window.studio = { store: useStudio, loseDevice };

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
void connectGpu();
