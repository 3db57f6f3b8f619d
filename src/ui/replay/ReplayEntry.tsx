import { useState } from 'react';
import { ReplayPicker } from './ReplayControls';

/** "Replay a recorded run" in the header: the picker, mounted only while it is unfolded. */
export function ReplayEntry() {
  const [open, setOpen] = useState(false);
  return (
    <details
      className="replay-entry"
      data-testid="replay-entry"
      open={open}
      onToggle={(e) => setOpen(e.currentTarget.open)}
    >
      <summary>Replay a recorded run</summary>
      {open && (
        <ReplayPicker intro="Watch a run the studio recorded (here or on another machine) in every view, without training." />
      )}
    </details>
  );
}
