// The link builder's model: every section, control and panel with what the student gets of it
// (shown, shown but fixed, hidden), turned into a classroom's hide and lock lists.
import { type Classroom, CONTROLS, PANELS, SECTIONS } from '../../store/urlSettings';

export type Visibility = 'show' | 'lock' | 'hide';

export interface ExerciseGroup {
  /** The section's link name, or undefined for the controls outside any section. */
  section: string | undefined;
  controls: readonly string[];
}

/** The builder's rows: the controls in no section, then each section and its controls. */
export function exerciseGroups(): ExerciseGroup[] {
  const inSection = new Set(Object.values(SECTIONS).flat());
  return [
    { section: undefined, controls: CONTROLS.filter((c) => !inSection.has(c)) },
    ...Object.entries(SECTIONS).map(([section, controls]) => ({ section, controls })),
  ];
}

/** Panels have no settings to fix: they are shown or hidden. */
export const canLock = (name: string) => !PANELS.includes(name);

/** The choices a classroom stands for: each name it lists, by name. */
export function choicesOf(c: Classroom): Record<string, Visibility> {
  const out: Record<string, Visibility> = {};
  for (const n of c.locked) out[n] = 'lock';
  for (const n of c.hidden) out[n] = 'hide';
  return out;
}

/** The classroom the choices make, names in the order the builder lists them. */
export function classroomOf(choices: Readonly<Record<string, Visibility>>): Classroom {
  const names = [
    ...exerciseGroups().flatMap((g) => (g.section ? [g.section, ...g.controls] : g.controls)),
    ...PANELS,
  ].filter((n, i, all) => all.indexOf(n) === i);
  return {
    hidden: names.filter((n) => choices[n] === 'hide'),
    locked: names.filter((n) => choices[n] === 'lock'),
    messages: [],
  };
}
