import { exportLfr } from '../../store/lfrActions';
import { useStudio } from '../../store/store';
import type { LfrExportKind, LfrRole } from '../../worker/protocol';
import { downloadText } from './download';

const FILES: { kind: LfrExportKind; label: string; file: string; type: string }[] = [
  { kind: 'schedule', label: 'Schedule (JSON)', file: 'schedule.json', type: 'application/json' },
  { kind: 'historiesCsv', label: 'Histories (CSV)', file: 'histories.csv', type: 'text/csv' },
  {
    kind: 'historiesJson',
    label: 'Histories (JSON)',
    file: 'histories.json',
    type: 'application/json',
  },
];

async function save(role: LfrRole, kind: LfrExportKind, file: string, type: string) {
  const text = await exportLfr(role, kind);
  if (text !== undefined) downloadText(`${role}-${file}`, text, type);
}

/** Downloads of a scheduled run: its replayable schedule and every block's score history. */
export function LfrExports({ role }: { role: LfrRole }) {
  const error = useStudio((s) => s.lfrExportError);
  return (
    <div className="toolbar" data-testid={`lfr-exports-${role}`}>
      {FILES.map((f) => (
        <button
          key={f.kind}
          type="button"
          data-testid={`lfr-export-${role}-${f.kind}`}
          onClick={() => void save(role, f.kind, f.file, f.type)}
        >
          {f.label}
        </button>
      ))}
      {error && (
        <span className="alert" role="alert">
          {error}
        </span>
      )}
    </div>
  );
}
