import './runs.css';
import { useEffect, useState } from 'react';
import { resumeFinetune } from '../../store/finetuneActions';
import {
  deleteRun,
  editAutosave,
  refreshRuns,
  renameRun,
  resumeRun,
  saveNow,
} from '../../store/runsActions';
import { parseAutosave } from '../../store/runsSlice';
import { useStudio } from '../../store/store';
import { selectRunLive } from '../../store/trainingSlice';
import type { SavedRun } from '../../worker/protocol';
import { formatBytes } from '../format';
import { exportRunForPytorch } from './exportPytorch';
import { TransferBar } from './TransferBar';

const when = (ms: number) => new Date(ms).toLocaleString();

function AutosaveField() {
  const text = useStudio((s) => s.autosave);
  const parsed = parseAutosave(text);
  return (
    <div className="field autosave">
      <label htmlFor="setting-autosave">autosave every N steps</label>
      <input
        id="setting-autosave"
        data-testid="setting-autosave"
        type="text"
        inputMode="numeric"
        value={text}
        aria-describedby="setting-autosave-hint"
        aria-invalid={!parsed.ok}
        onChange={(e) => void editAutosave(e.target.value)}
      />
      <span id="setting-autosave-hint" className="hint">
        Checkpoints the run into the list below every N steps, between two steps; 0 turns it off.
      </span>
      {!parsed.ok && (
        <span className="alert" role="alert" data-testid="autosave-error">
          {parsed.error}
        </span>
      )}
    </div>
  );
}

function SaveStatus() {
  const live = useStudio(selectRunLive);
  const hasSession = useStudio((s) => s.run.phase !== 'idle' && s.history.steps.length > 0);
  const lastSave = useStudio((s) => s.lastSave);
  const saveError = useStudio((s) => s.saveError);
  return (
    <div className="toolbar">
      <button
        type="button"
        data-testid="save-now"
        disabled={!(live || hasSession)}
        onClick={() => void saveNow()}
      >
        Save now
      </button>
      {lastSave && (
        <span className="muted" data-testid="last-save" data-step={lastSave.step}>
          Saved step {lastSave.step} as "{lastSave.name}" at{' '}
          {new Date(lastSave.updated).toLocaleTimeString()}.
        </span>
      )}
      {saveError && (
        <div className="alert" role="alert" data-testid="save-error">
          <strong>The checkpoint was not saved; the run goes on.</strong> {saveError}
        </div>
      )}
    </div>
  );
}

type Pending = { kind: 'rename'; name: string } | { kind: 'delete' } | { kind: 'resume' } | null;

/** Downloads the saved run as a folder python/continue_run.py continues (see README). */
function ExportPytorchButton({ run }: { run: SavedRun }) {
  const [state, setState] = useState<{ busy?: boolean; done?: string; error?: string }>({});
  const start = async () => {
    setState({ busy: true });
    try {
      setState({ done: `${await exportRunForPytorch(run)} downloaded.` });
    } catch (e) {
      setState({ error: e instanceof Error ? e.message : String(e) });
    }
  };
  return (
    <>
      <button
        type="button"
        data-testid="run-export-pytorch"
        disabled={state.busy}
        onClick={() => void start()}
      >
        Export for PyTorch
      </button>
      {state.busy && <span className="muted"> Writing the run folder…</span>}
      {state.done && (
        <span className="muted" data-testid="export-pytorch-done">
          {' '}
          {state.done}
        </span>
      )}
      {state.error && (
        <span className="alert" role="alert" data-testid="export-pytorch-error">
          {state.error}
        </span>
      )}
    </>
  );
}

function RunRow({ run }: { run: SavedRun }) {
  const [pending, setPending] = useState<Pending>(null);
  const current = useStudio((s) => s.currentRunId === run.id);
  const live = useStudio(selectRunLive);
  const finetuneCurrent = useStudio((s) => s.finetuneSave.runId === run.id);
  const finetune = run.kind === 'finetune';
  const resume = () => {
    setPending(null);
    void (finetune ? resumeFinetune(run.id) : resumeRun(run.id));
  };
  return (
    <tr
      data-testid="run-row"
      data-run-id={run.id}
      data-step={run.step}
      data-current={finetune ? finetuneCurrent : current}
      data-kind={run.kind ?? 'pretrain'}
    >
      <td>
        {pending?.kind === 'rename' ? (
          <form
            onSubmit={(e) => {
              e.preventDefault();
              setPending(null);
              void renameRun(run.id, pending.name);
            }}
          >
            <input
              aria-label={`New name for ${run.name}`}
              data-testid="rename-input"
              value={pending.name}
              onChange={(e) => setPending({ kind: 'rename', name: e.target.value })}
            />
            <button type="submit" data-testid="rename-confirm">
              Rename
            </button>
            <button type="button" onClick={() => setPending(null)}>
              Cancel
            </button>
          </form>
        ) : (
          <span data-testid="run-name">{run.name}</span>
        )}
        {(finetune ? finetuneCurrent : current) && <span className="muted"> (current)</span>}
      </td>
      {/* A fine-tune's steps are every optimizer's together. */}
      <td className="num">{run.step}</td>
      <td>{finetune ? 'LoRA fine-tune' : (run.preset ?? 'custom')}</td>
      <td className="num">{formatBytes(run.size)}</td>
      <td>{when(run.updated)}</td>
      <td className="run-actions">
        {pending?.kind === 'delete' ? (
          <span role="alert">
            Delete "{run.name}" for good?{' '}
            <button
              type="button"
              data-testid="delete-confirm"
              onClick={() => void deleteRun(run.id)}
            >
              Delete
            </button>
            <button type="button" onClick={() => setPending(null)}>
              Keep
            </button>
          </span>
        ) : pending?.kind === 'resume' ? (
          <span role="alert">
            This ends the run in progress (its last save stays in the list).{' '}
            <button type="button" data-testid="resume-confirm" onClick={resume}>
              Resume "{run.name}"
            </button>
            <button type="button" onClick={() => setPending(null)}>
              Cancel
            </button>
          </span>
        ) : (
          <>
            <button
              type="button"
              data-testid="run-resume"
              onClick={() => (live && !finetune ? setPending({ kind: 'resume' }) : resume())}
            >
              Resume
            </button>
            <button
              type="button"
              data-testid="run-rename"
              onClick={() => setPending({ kind: 'rename', name: run.name })}
            >
              Rename
            </button>
            <button
              type="button"
              data-testid="run-delete"
              onClick={() => setPending({ kind: 'delete' })}
            >
              Delete
            </button>
            {!finetune && <ExportPytorchButton run={run} />}
          </>
        )}
      </td>
    </tr>
  );
}

function RunsList() {
  const runs = useStudio((s) => s.runs);
  const error = useStudio((s) => s.runsError);
  return (
    <>
      {error && (
        <div className="alert" role="alert" data-testid="runs-error">
          {error}
        </div>
      )}
      {runs.length === 0 ? (
        <p className="muted" data-testid="runs-empty">
          No saved runs yet: autosave or "Save now" adds the current run here.
        </p>
      ) : (
        <table className="runs" data-testid="runs-list">
          <thead>
            <tr>
              <th>Run</th>
              <th>Step</th>
              <th>Preset</th>
              <th>Size</th>
              <th>Updated</th>
              <th>
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <RunRow key={r.id} run={r} />
            ))}
          </tbody>
        </table>
      )}
    </>
  );
}

/** Saving the run as it trains, the saved runs to resume, and the files in and out. */
export function RunsPanel() {
  useEffect(() => {
    void refreshRuns();
  }, []);
  return (
    <section className="runs-panel" aria-labelledby="runs-title" data-testid="runs-panel">
      <h3 id="runs-title">Runs, checkpoints and export</h3>
      <AutosaveField />
      <SaveStatus />
      <RunsList />
      <TransferBar />
    </section>
  );
}
