// A classroom link's rule for one control, shared by every form that a link can fix.
import type { ReactNode } from 'react';
import { useStudio } from '../../store/store';
import { isHidden, isLocked } from '../../store/urlSettings';

/** Hidden or fixed by a classroom link: `name` as the link names the control. */
export function useLinkRule(name: string): { hidden: boolean; fixed: boolean } {
  const hidden = useStudio((s) => isHidden(s.classroom, name));
  const fixed = useStudio((s) => isLocked(s.classroom, name));
  return { hidden, fixed };
}

/** The ids a fixed control is described by: its hint, then the note saying the link fixed it. */
export const describedBy = (id: string, fixed: boolean) =>
  fixed ? `${id}-hint ${id}-fixed` : `${id}-hint`;

export function FixedNote({ id }: { id: string }) {
  return (
    <span id={id} className="hint fixed-note">
      Fixed by your link.
    </span>
  );
}

/**
 * A field a link can hide or fix: nothing when hidden; otherwise `render(fixed)` in the field's
 * box, with the note after it when fixed (the control names it via `describedBy(id, fixed)`).
 */
export function LinkedField({
  name,
  id,
  className = 'field',
  render,
}: {
  name: string;
  id: string;
  className?: string;
  render: (fixed: boolean) => ReactNode;
}) {
  const rule = useLinkRule(name);
  if (rule.hidden) return null;
  return (
    <div className={className}>
      {render(rule.fixed)}
      {rule.fixed && <FixedNote id={`${id}-fixed`} />}
    </div>
  );
}
