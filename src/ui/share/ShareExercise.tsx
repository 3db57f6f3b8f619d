import { useRef, useState } from 'react';
import { settingsQuery } from '../../store/linkActions';
import { useStudio } from '../../store/store';
import { selectClassroom } from '../../store/trainingSlice';
import { PANELS } from '../../store/urlSettings';
import { canLock, choicesOf, classroomOf, exerciseGroups, type Visibility } from './exercise';
import './share.css';

const GROUPS = exerciseGroups();

function Row({
  id,
  name,
  label,
  value,
  onChange,
}: {
  id: string;
  name: string;
  label: string;
  value: Visibility;
  onChange: (name: string, v: Visibility) => void;
}) {
  return (
    <div className="share-row">
      <label htmlFor={id}>{label}</label>
      <select
        id={id}
        data-testid={id}
        value={value}
        onChange={(e) => onChange(name, e.target.value as Visibility)}
      >
        <option value="show">show</option>
        {canLock(name) && <option value="lock">lock (shown, fixed)</option>}
        <option value="hide">hide</option>
      </select>
    </div>
  );
}

/**
 * "Share as exercise": every section, control and panel with show, lock or hide, and the link
 * that opens the studio so, with the current values. The link is also shown in a read-only field,
 * for browsers that do not let the page copy.
 */
export function ShareExercise() {
  const classroom = useStudio(selectClassroom);
  const [open, setOpen] = useState(false);
  const [choices, setChoices] = useState<Record<string, Visibility>>({});
  const [status, setStatus] = useState('');
  const toggleRef = useRef<HTMLButtonElement>(null);
  const link = useStudio(() =>
    open ? `${location.origin}${location.pathname}?${settingsQuery(classroomOf(choices))}` : '',
  );
  const toggle = () => {
    if (!open) setChoices(choicesOf(classroom));
    setStatus('');
    setOpen(!open);
  };
  const close = () => {
    setOpen(false);
    toggleRef.current?.focus();
  };
  const choose = (name: string, v: Visibility) => setChoices((c) => ({ ...c, [name]: v }));
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(link);
      setStatus('Copied.');
    } catch {
      setStatus('The browser did not allow copying: select the link above and copy it.');
    }
  };
  const row = (id: string, name: string, label: string) => (
    <Row
      key={id}
      id={id}
      name={name}
      label={label}
      value={choices[name] ?? 'show'}
      onChange={choose}
    />
  );
  return (
    <>
      <button
        type="button"
        className="secondary"
        ref={toggleRef}
        data-testid="share-exercise-open"
        aria-expanded={open}
        aria-controls="share-exercise"
        onClick={toggle}
      >
        Share as exercise
      </button>
      {open && (
        <section
          id="share-exercise"
          className="share-exercise"
          data-testid="share-exercise"
          aria-labelledby="share-exercise-title"
          onKeyDown={(e) => {
            if (e.key === 'Escape') close();
          }}
        >
          <h3 id="share-exercise-title">Share as exercise</h3>
          <p className="hint">
            What the student gets of each section and control: shown, shown but fixed (lock), or
            hidden. The link carries the current values. Escape closes.
          </p>
          {GROUPS.map((g) => (
            <fieldset key={g.section ?? 'general'}>
              <legend>{g.section ?? 'general'}</legend>
              {g.section &&
                row(`share-section-${g.section}`, g.section, `whole ${g.section} section`)}
              {g.controls.map((c) => row(`share-${g.section ?? 'general'}-${c}`, c, c))}
            </fieldset>
          ))}
          <fieldset>
            <legend>panels</legend>
            {PANELS.map((p) => row(`share-panel-${p}`, p, p))}
          </fieldset>
          <label htmlFor="share-exercise-link">link</label>
          <input
            id="share-exercise-link"
            data-testid="share-exercise-link"
            type="text"
            readOnly
            value={link}
            onFocus={(e) => e.currentTarget.select()}
          />
          <div className="toolbar">
            <button type="button" data-testid="share-exercise-copy" onClick={() => void copy()}>
              Copy link
            </button>
            <button type="button" className="secondary" onClick={close}>
              Close
            </button>
            <span role="status" data-testid="share-exercise-status">
              {status}
            </span>
          </div>
        </section>
      )}
    </>
  );
}
