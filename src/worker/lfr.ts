// Scheduled runs (LFR and its random baseline): the schedule a run trains by, the news its
// progress events carry, and the latest run of each role, kept for its blocks and exports.
import type { Dataset } from '../data/dataset';
import { ARM_LABELS, scheduleForArm } from '../lfr/arms';
import { historiesCsv, historiesJson, replayData, scheduleToJson } from '../lfr/export';
import type { Schedule } from '../lfr/schedule';
import { ScheduleOutbox } from '../lfr/stream';
import type { TrainConfig } from '../model/config';
import type { SessionOptions } from '../train/session';
import type { BlockText, LfrExportKind, LfrRole, RunSchedule } from './protocol';

// The latest scheduled run of each role, kept after it ends so both runs of a comparison export.
const schedules = new Map<LfrRole, { schedule: Schedule; data: Dataset }>();

/** The session options of a scheduled run, and the outbox its progress events carry. */
export function scheduledRun(plan: RunSchedule, train: TrainConfig) {
  let outbox: ScheduleOutbox | undefined;
  const options: SessionOptions = {
    maxBlocks: plan.maxBlocks,
    sampleSeed: plan.sampleBlocks ? train.seed : undefined,
    schedule: (blocks) => {
      const order = {
        batchSize: train.batchSize,
        accumSteps: train.gradAccumSteps,
        seed: train.seed,
      };
      const schedule = scheduleForArm(plan.role, blocks, plan.lfr, order);
      outbox = new ScheduleOutbox(schedule);
      return schedule;
    },
    onStep: (r) => outbox?.observed(r),
  };
  return { options, take: () => outbox?.take() };
}

/** Keeps a scheduled run as the latest of its role. */
export function rememberSchedule(role: LfrRole, schedule: Schedule, data: Dataset): void {
  schedules.set(role, { schedule, data });
}

export function requireSchedule(role: LfrRole): { schedule: Schedule; data: Dataset } {
  const run = schedules.get(role);
  if (!run) throw new Error(`No ${ARM_LABELS[role]} run yet: train one first.`);
  return run;
}

export const lfrApi = {
  /** A block of a scheduled run: where it comes from and its text. */
  blockText(role: LfrRole, id: number): BlockText {
    const { schedule, data } = requireSchedule(role);
    if (!(Number.isInteger(id) && id >= 0 && id < schedule.blocks.count)) {
      throw new Error(`Block ${id} is not in this run's ${schedule.blocks.count} blocks.`);
    }
    const info = schedule.blocks.info(id);
    return {
      id,
      doc: info.doc,
      offset: info.offset,
      lastDoc: info.lastDoc,
      text: data.tokenizer.decode(schedule.blocks.tokens(id)),
    };
  },

  /** A scheduled run's schedule (JSON, replayable) or its per-block histories (CSV or JSON). */
  async exportLfr(role: LfrRole, kind: LfrExportKind): Promise<string> {
    const { schedule, data } = requireSchedule(role);
    if (kind === 'schedule')
      return scheduleToJson(schedule, await replayData(data.train, data.tokenizer));
    if (kind === 'historiesCsv') return historiesCsv(schedule.scores);
    return JSON.stringify(historiesJson(schedule.scores));
  },
};
