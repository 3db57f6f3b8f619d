import { describe, expect, it } from 'vitest';
import { CONTROLS, PANELS, SECTIONS } from '../../store/urlSettings';
import { canLock, choicesOf, classroomOf, exerciseGroups } from './exercise';

describe('the exercise builder', () => {
  it('lists every control a link can set and every section', () => {
    const groups = exerciseGroups();
    const listed = new Set(groups.flatMap((g) => g.controls));
    expect(CONTROLS.filter((c) => !listed.has(c))).toEqual([]);
    expect(groups.map((g) => g.section).filter(Boolean)).toEqual(Object.keys(SECTIONS));
    expect(groups[0].controls).toEqual(['preset', 'data']);
  });

  it('turns the choices into hide and lock lists in the order it lists them, and back', () => {
    const classroom = classroomOf({
      lora: 'lock',
      lr: 'lock',
      lfr_s1: 'hide',
      gpu: 'hide',
      model: 'hide',
      seed: 'show',
    });
    expect(classroom).toEqual({
      hidden: ['model', 'lfr_s1', 'gpu'],
      locked: ['lr', 'lora'],
      messages: [],
    });
    expect(classroomOf(choicesOf(classroom))).toEqual(classroom);
  });

  it('offers lock for controls and sections, not for panels', () => {
    expect(PANELS.filter(canLock)).toEqual([]);
    expect(canLock('lora')).toBe(true);
    expect(canLock('lfr_p1')).toBe(true);
  });
});
