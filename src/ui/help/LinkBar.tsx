import { useState } from 'react';
import { settingsQuery } from '../../store/linkActions';
import { useStudio } from '../../store/store';
import { selectClassroom } from '../../store/trainingSlice';
import { ShareExercise } from '../share/ShareExercise';

/** The link to this run's settings: "Copy link", what a classroom link fixed, and what it got wrong. */
export function LinkBar() {
  const classroom = useStudio(selectClassroom);
  const [status, setStatus] = useState('');
  const copy = async () => {
    const url = `${location.origin}${location.pathname}?${settingsQuery()}`;
    try {
      await navigator.clipboard.writeText(url);
      setStatus(`Copied: ${url}`);
    } catch {
      setStatus(`The browser did not allow copying; select the link: ${url}`);
    }
  };
  const restricted = classroom.hidden.length > 0 || classroom.locked.length > 0;
  return (
    <div className="link-bar">
      <div className="toolbar">
        <button
          type="button"
          className="secondary"
          data-testid="copy-link"
          onClick={() => void copy()}
        >
          Copy link
        </button>
        <ShareExercise />
        <span className="hint">The link opens the studio with these settings.</span>
      </div>
      <p className="link-status" role="status" data-testid="copy-link-status">
        {status}
      </p>
      {restricted && (
        <p className="muted" data-testid="classroom-note">
          Set by your link:
          {classroom.hidden.length > 0 && ` hidden ${classroom.hidden.join(', ')};`}
          {classroom.locked.length > 0 && ` fixed ${classroom.locked.join(', ')}.`}
        </p>
      )}
      {classroom.messages.length > 0 && (
        <div className="alert" role="alert" data-testid="url-messages">
          <strong>Parts of the link were not used.</strong>
          <ul>
            {classroom.messages.map((m) => (
              <li key={m}>{m}</li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
