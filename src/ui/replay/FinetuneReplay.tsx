import { OPTIMIZER_KINDS, OPTIMIZER_LABEL } from '../../store/finetuneSlice';
import { useStudio } from '../../store/store';
import { FinetuneSampleText } from '../finetune/FinetuneOutputs';
import { FinetuneSettings } from '../finetune/FinetuneSettings';
import { InvarianceChart } from '../finetune/InvarianceDemo';
import { LossCurves } from '../finetune/LossCurves';
import '../finetune/finetune.css';

function Base() {
  const base = useStudio((s) => s.finetuneBase);
  if (!base) return null;
  const c = base.config;
  const from =
    base.source === 'imported' ? 'imported GPT-2 weights' : `a training run at step ${base.step}`;
  return (
    <p data-testid="finetune-base">
      Base: {from} ({c.nLayer} layers, width {c.nEmbd}, context {c.blockSize}, {base.tokenizer}{' '}
      tokenizer).
    </p>
  );
}

/** The recorded schedule: each optimizer's peak rate, the warmup and the decay. */
function Schedule() {
  const form = useStudio((s) => s.finetuneForm);
  const v = form.values;
  const kinds = form.optimizer === 'both' ? OPTIMIZER_KINDS : [form.optimizer];
  const peak = (k: (typeof kinds)[number]) =>
    `${OPTIMIZER_LABEL[k]} ${k === 'rite' && form.separateRates ? v.riteLr : v.lr}`;
  return (
    <p data-testid="finetune-schedule">
      Learning rate: peak {kinds.map(peak).join(', ')}; linear warmup over {v.warmup} steps, then{' '}
      {form.decay === 'cosine' ? 'cosine decay' : 'constant'} to step {v.steps}.
    </p>
  );
}

function Status() {
  const run = useStudio((s) => s.finetuneRun);
  const kinds = OPTIMIZER_KINDS.filter((k) => run.done[k] !== undefined);
  return (
    <p className="muted" data-testid="finetune-status" data-phase={run.phase}>
      {run.phase === 'idle' ? 'not reached yet' : run.phase}
      {kinds.map((k) => `; ${OPTIMIZER_LABEL[k]} ${run.done[k]} of ${run.steps} steps`).join('')}
      {run.error && `; ${run.error}`}
    </p>
  );
}

/**
 * The fine-tune view of a recording: the recorded settings (read only), both loss curves, the
 * samples and the invariance demo's series, as they replay. Nothing here uses the GPU.
 */
export function FinetuneReplay() {
  const demo = useStudio((s) => s.invariance);
  return (
    <section
      className="panel finetune"
      data-testid="finetune-panel"
      data-replay="true"
      aria-labelledby="finetune-replay-title"
    >
      <h2 id="finetune-replay-title">Fine-tune with LoRA (Adam and LoRA-RITE): the recording</h2>
      <Base />
      <Schedule />
      <FinetuneSettings disabled />
      <Status />
      <LossCurves />
      <FinetuneSampleText />
      <section
        className="finetune-invariance"
        data-testid="invariance-demo"
        data-status={demo.status}
        aria-labelledby="finetune-replay-demo"
      >
        <h3 id="finetune-replay-demo">Invariance demo</h3>
        {demo.series.length > 0 ? (
          <InvarianceChart series={demo.series} />
        ) : (
          <p className="muted">The recording has not reached the demo (or holds none).</p>
        )}
      </section>
    </section>
  );
}
