// The studio's GPU thread: it alone holds WebGPU objects; the UI talks to it through comlink.
// Each feature's module owns its state and verbs; the worker only composes them.
import * as Comlink from 'comlink';
import { dataApi } from './data';
import { finetuneApi } from './finetune';
import { gpuApi } from './gpu';
import { lfrApi } from './lfr';
import { lfrExperimentsApi } from './lfrExperimentsApi';
import { runsApi } from './runs';
import { trainingApi } from './training';

const api = {
  ...gpuApi,
  ...dataApi,
  ...trainingApi,
  ...runsApi,
  ...lfrApi,
  ...lfrExperimentsApi,
  ...finetuneApi,
};

export type StudioApi = typeof api;

Comlink.expose(api);
