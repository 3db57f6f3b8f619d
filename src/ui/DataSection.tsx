import { type DragEvent, useEffect, useState } from 'react';
import { MAX_USER_TEXT_BYTES, USER_TEXT_ACCEPT } from '../data/userText';
import { useStudio } from '../store/store';
import { selectRunLive, selectRunStarting } from '../store/trainingSlice';
import { isHidden, isLocked } from '../store/urlSettings';
import { chooseData, loadUserFile, restoreUserData } from '../store/userDataActions';
import { selectDataChoice, selectUserText } from '../store/userDataSlice';
import { formatCount } from './format';
import { HelpTip } from './help/HelpTip';

function UserTextLoader() {
  const userText = useStudio(selectUserText);
  const [field, setField] = useState('text');
  const [over, setOver] = useState(false);
  const busy = userText.loading !== undefined;
  const load = (files: FileList | null) => {
    const file = files?.[0];
    if (file && !busy) void loadUserFile(file, field.trim() || 'text');
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    load(e.dataTransfer.files);
  };
  return (
    <div className="user-text">
      <label
        className={`drop-zone${over ? ' over' : ''}`}
        data-testid="user-text-drop"
        onDragOver={(e) => {
          e.preventDefault();
          setOver(true);
        }}
        onDragLeave={() => setOver(false)}
        onDrop={onDrop}
      >
        Drop a .txt, .md or .jsonl file here, or pick one:{' '}
        <input
          type="file"
          accept={USER_TEXT_ACCEPT}
          data-testid="user-text-input"
          disabled={busy}
          onChange={(e) => {
            load(e.target.files);
            e.target.value = '';
          }}
        />
        <span className="muted">
          {' '}
          Up to {MAX_USER_TEXT_BYTES / 2 ** 20} MiB. Documents are separated by blank lines (or
          &lt;|endoftext|&gt;); in JSONL, one per line. It is tokenized with the preset's tokenizer
          and kept in this browser.
        </span>
      </label>
      <label className="field">
        JSONL field{' '}
        <input
          type="text"
          data-testid="user-text-field"
          value={field}
          onChange={(e) => setField(e.target.value)}
        />
      </label>
      {userText.loading && (
        <p className="progress" data-testid="user-text-loading">
          <progress
            data-testid="user-text-progress"
            value={userText.loading.progress.documents}
            max={Math.max(1, userText.loading.progress.total)}
          />{' '}
          {userText.loading.fileName}: tokenizing{' '}
          {userText.loading.progress.total > 0 &&
            `${userText.loading.progress.documents} of ${userText.loading.progress.total} documents`}
        </p>
      )}
      {userText.error && (
        <div className="alert" role="alert" data-testid="user-text-error">
          <strong>That file was not loaded.</strong> {userText.error}
          {userText.summary && ` ${userText.summary.fileName} is still loaded.`}
        </div>
      )}
      {userText.summary && (
        <p
          className="muted"
          data-testid="user-text-summary"
          data-file={userText.summary.fileName}
          data-train-tokens={userText.summary.trainTokens}
          data-val-tokens={userText.summary.valTokens}
        >
          Loaded {userText.summary.fileName}: {formatCount(userText.summary.documents)} documents,{' '}
          {formatCount(userText.summary.trainTokens)} training and{' '}
          {formatCount(userText.summary.valTokens)} validation tokens ({userText.summary.tokenizer}{' '}
          tokenizer).
        </p>
      )}
    </div>
  );
}

/** Which text the next run trains on: the shipped OpenWebText slice or a file of the user's. */
export function DataSection() {
  const choice = useStudio(selectDataChoice);
  const locked = useStudio(
    (s) => selectRunLive(s) || selectRunStarting(s) || isLocked(s.classroom, 'data'),
  );
  const hidden = useStudio((s) => isHidden(s.classroom, 'data'));
  useEffect(() => {
    void restoreUserData();
  }, []);
  if (hidden) return null;
  return (
    <fieldset className="data-choice" data-testid="data-section" data-choice={choice}>
      <legend>
        Training data <HelpTip topic="data" />
      </legend>
      <label data-testid="data-choice-openwebtext">
        <input
          type="radio"
          name="data-choice"
          checked={choice === 'openwebtext'}
          disabled={locked}
          onChange={() => void chooseData('openwebtext')}
        />{' '}
        OpenWebText (shipped)
      </label>{' '}
      <label data-testid="data-choice-user">
        <input
          type="radio"
          name="data-choice"
          checked={choice === 'user'}
          disabled={locked}
          onChange={() => void chooseData('user')}
        />{' '}
        Your text
      </label>
      {choice === 'user' && <UserTextLoader />}
    </fieldset>
  );
}
