import {
  exportCheckpoint,
  exportModel,
  importCheckpoint,
  importHfModel,
} from '../../store/runsActions';
import { useStudio } from '../../store/store';
import { downloadBytes } from './download';

/** Export the current model or run, import a checkpoint or Hugging Face GPT-2 weights. */
export function TransferBar() {
  const transfer = useStudio((s) => s.transfer);
  const hasModel = useStudio(
    (s) => s.imported !== undefined || (s.run.phase !== 'idle' && s.history.steps.length > 0),
  );
  const hasRun = useStudio((s) => s.imported === undefined && s.history.steps.length > 0);
  const busy = transfer.busy !== undefined;
  return (
    <div className="transfer" data-testid="transfer">
      <div className="toolbar">
        <button
          type="button"
          data-testid="export-model"
          disabled={!hasModel || busy}
          onClick={async () => {
            const files = await exportModel();
            if (!files) return;
            downloadBytes('model.safetensors', files.safetensors, 'application/octet-stream');
            downloadBytes('config.json', files.configJson, 'application/json');
          }}
        >
          Export model (safetensors + config.json)
        </button>
        <button
          type="button"
          data-testid="export-checkpoint"
          disabled={!hasRun || busy}
          onClick={async () => {
            const bytes = await exportCheckpoint();
            if (bytes) downloadBytes('run.ckpt', bytes, 'application/octet-stream');
          }}
        >
          Export checkpoint
        </button>
      </div>
      <div className="toolbar">
        <label className="file-button">
          Import checkpoint
          <input
            type="file"
            data-testid="import-checkpoint"
            accept=".ckpt,application/octet-stream"
            disabled={busy}
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (file) void importCheckpoint(file);
            }}
          />
        </label>
        <label className="file-button">
          Import Hugging Face GPT-2 weights
          <input
            type="file"
            data-testid="import-hf"
            accept=".safetensors,.json"
            multiple
            disabled={busy}
            onChange={(e) => {
              const files = [...(e.target.files ?? [])];
              e.target.value = '';
              if (files.length > 0) void importHfModel(files);
            }}
          />
        </label>
        <span className="hint">
          Weights: model.safetensors, and its config.json if you have it (choose both at once).
        </span>
      </div>
      {transfer.busy && (
        <p className="muted" data-testid="transfer-busy">
          {transfer.busy}
        </p>
      )}
      {transfer.done && (
        <p className="muted" data-testid="transfer-done">
          {transfer.done}
        </p>
      )}
      {transfer.error && (
        <div className="alert" role="alert" data-testid="transfer-error">
          {transfer.error}
        </div>
      )}
    </div>
  );
}
