import { LORA_TARGETS } from '../../model/lora';
import {
  chooseFinetune,
  editFinetuneField,
  toggleFinetuneTarget,
} from '../../store/finetuneActions';
import {
  type FinetuneFieldKey,
  OPTIMIZER_LABEL,
  type OptimizerChoice,
  TARGET_LABEL,
} from '../../store/finetuneSlice';
import { useStudio } from '../../store/store';
import { LORA_URL_KEYS } from '../../store/urlSettings';
import { HelpTip } from '../help/HelpTip';
import type { LoraHelpKey } from '../help/settingsHelp';
import { describedBy, FixedNote, LinkedField, useLinkRule } from '../share/linkRule';

interface FieldSpec {
  key: FinetuneFieldKey;
  label: string;
  hint: string;
  help?: LoraHelpKey;
}

const FIELDS: readonly FieldSpec[] = [
  {
    key: 'rank',
    label: 'rank r',
    hint: '1 to 32, at most the layer’s size; 4 to 16 is usual.',
    help: 'loraRank',
  },
  {
    key: 'alpha',
    label: 'alpha',
    hint: 'Above 0; the update is scaled by alpha / r.',
    help: 'loraAlpha',
  },
  {
    key: 'lr',
    label: 'learning rate',
    hint: 'Above 0; the peak rate of both optimizers unless RITE has its own.',
  },
  {
    key: 'riteLr',
    label: 'LoRA-RITE learning rate',
    hint: 'Above 0; the paper finds RITE’s best 20 to 100 times Adam’s.',
  },
  {
    key: 'warmup',
    label: 'warmup steps',
    hint: 'Linear warmup to the rate, 0 to the run’s steps; the same for both optimizers.',
  },
  { key: 'steps', label: 'steps', hint: 'Optimizer steps of each optimizer.' },
  { key: 'batchSize', label: 'batch size', hint: 'Sequences per step, of the base’s block_size.' },
  {
    key: 'seed',
    label: 'seed',
    hint: 'The adapters’ init and the batch order: the same for both.',
  },
];

const field = (key: FinetuneFieldKey) => FIELDS.find((f) => f.key === key)!;

export function FinetuneField({ spec, disabled }: { spec: FieldSpec; disabled: boolean }) {
  const value = useStudio((s) => s.finetuneForm.values[spec.key]);
  const id = `finetune-${spec.key}`;
  const rule = useLinkRule(LORA_URL_KEYS[spec.key]);
  if (rule.hidden) return null;
  return (
    <div className="field">
      <div className="field-label">
        <label htmlFor={id}>{spec.label}</label>
        {spec.help && <HelpTip topic={spec.help} />}
      </div>
      <input
        id={id}
        data-testid={id}
        type="text"
        inputMode="decimal"
        value={value}
        disabled={disabled || rule.fixed}
        aria-describedby={describedBy(id, rule.fixed)}
        onChange={(e) => void editFinetuneField(spec.key, e.target.value)}
      />
      <span id={`${id}-hint`} className="hint">
        {spec.hint}
      </span>
      {rule.fixed && <FixedNote id={`${id}-fixed`} />}
    </div>
  );
}

function Targets({ disabled }: { disabled: boolean }) {
  const targets = useStudio((s) => s.finetuneForm.targets);
  const rule = useLinkRule('lora_targets');
  if (rule.hidden) return null;
  return (
    <fieldset
      className="finetune-targets"
      disabled={disabled || rule.fixed}
      aria-describedby={rule.fixed ? 'finetune-targets-fixed' : undefined}
    >
      <legend className="field-label">
        targets <HelpTip topic="loraTargets" />
      </legend>
      {rule.fixed && <FixedNote id="finetune-targets-fixed" />}
      {LORA_TARGETS.map((t) => (
        <label key={t} className="check">
          <input
            type="checkbox"
            data-testid={`finetune-target-${t}`}
            checked={targets.includes(t)}
            onChange={(e) => void toggleFinetuneTarget(t, e.target.checked)}
          />{' '}
          {TARGET_LABEL[t]}
        </label>
      ))}
    </fieldset>
  );
}

/** The fine-tune form: text, adapters, optimizer and run; checked by the worker as typed. */
export function FinetuneSettings({ disabled }: { disabled: boolean }) {
  const form = useStudio((s) => s.finetuneForm);
  const hasUserText = useStudio((s) => s.userText.summary !== undefined);
  return (
    <div className="finetune-settings">
      <fieldset disabled={disabled}>
        <legend>Text and adapters</legend>
        <LinkedField
          name="lora_text"
          id="finetune-text"
          render={(fixed) => (
            <>
              <label htmlFor="finetune-text">fine-tuning text</label>
              <select
                id="finetune-text"
                data-testid="finetune-text"
                value={form.text}
                disabled={fixed}
                aria-describedby={describedBy('finetune-text', fixed)}
                onChange={(e) =>
                  void chooseFinetune('text', e.target.value === 'user' ? 'user' : 'heldout')
                }
              >
                <option value="heldout">
                  held-out slice (the shipped data’s validation split)
                </option>
                <option value="user" disabled={!hasUserText}>
                  your text (as loaded in the training view)
                </option>
              </select>
              <span id="finetune-text-hint" className="hint">
                Text the base did not train on, in the base’s tokenizer.
              </span>
            </>
          )}
        />
        {(['rank', 'alpha'] as const).map((k) => (
          <FinetuneField key={k} spec={field(k)} disabled={disabled} />
        ))}
        <Targets disabled={disabled} />
      </fieldset>
      <fieldset disabled={disabled}>
        <legend>Optimizer and run</legend>
        <LinkedField
          name="lora_optimizer"
          id="finetune-optimizer"
          render={(fixed) => (
            <>
              <div className="field-label">
                <label htmlFor="finetune-optimizer">optimizer</label>
                <HelpTip topic="loraOptimizer" />
              </div>
              <select
                id="finetune-optimizer"
                data-testid="finetune-optimizer"
                value={form.optimizer}
                disabled={fixed}
                aria-describedby={fixed ? 'finetune-optimizer-fixed' : undefined}
                onChange={(e) =>
                  void chooseFinetune('optimizer', e.target.value as OptimizerChoice)
                }
              >
                <option value="both">Adam and LoRA-RITE side by side</option>
                <option value="adam">{OPTIMIZER_LABEL.adam}</option>
                <option value="rite">{OPTIMIZER_LABEL.rite}</option>
              </select>
            </>
          )}
        />
        {form.optimizer === 'both' && (
          <LinkedField
            name="lora_order"
            id="finetune-order"
            render={(fixed) => (
              <>
                <label htmlFor="finetune-order">side by side</label>
                <select
                  id="finetune-order"
                  data-testid="finetune-order"
                  value={form.order}
                  disabled={fixed}
                  aria-describedby={describedBy('finetune-order', fixed)}
                  onChange={(e) =>
                    void chooseFinetune(
                      'order',
                      e.target.value === 'sequential' ? 'sequential' : 'interleaved',
                    )
                  }
                >
                  <option value="interleaved">interleaved, step by step</option>
                  <option value="sequential">one after the other</option>
                </select>
                <span id="finetune-order-hint" className="hint">
                  The same seed and batches either way; interleaved shows both curves as they grow.
                </span>
              </>
            )}
          />
        )}
        <FinetuneField spec={field('lr')} disabled={disabled} />
        <LinkedField
          name="lora_separate_rates"
          id="finetune-separateRates"
          className="field-label"
          render={(fixed) => (
            <label className="check">
              <input
                type="checkbox"
                data-testid="finetune-separateRates"
                checked={form.separateRates}
                disabled={fixed}
                aria-describedby={fixed ? 'finetune-separateRates-fixed' : undefined}
                onChange={(e) => void chooseFinetune('separateRates', e.target.checked)}
              />{' '}
              LoRA-RITE at its own learning rate
            </label>
          )}
        />
        {form.separateRates && <FinetuneField spec={field('riteLr')} disabled={disabled} />}
        <FinetuneField spec={field('warmup')} disabled={disabled} />
        <LinkedField
          name="lora_decay"
          id="finetune-decay"
          render={(fixed) => (
            <>
              <label htmlFor="finetune-decay">after warmup</label>
              <select
                id="finetune-decay"
                data-testid="finetune-decay"
                value={form.decay}
                disabled={fixed}
                aria-describedby={describedBy('finetune-decay', fixed)}
                onChange={(e) =>
                  void chooseFinetune('decay', e.target.value === 'cosine' ? 'cosine' : 'constant')
                }
              >
                <option value="constant">constant rate</option>
                <option value="cosine">cosine decay to a tenth</option>
              </select>
              <span id="finetune-decay-hint" className="hint">
                As in pretraining; the same shape for both optimizers.
              </span>
            </>
          )}
        />
        {(['steps', 'batchSize', 'seed'] as const).map((k) => (
          <FinetuneField key={k} spec={field(k)} disabled={disabled} />
        ))}
        <LinkedField
          name="lora_escaped_mass"
          id="finetune-escapedMass"
          className="field-label"
          render={(fixed) => (
            <>
              <label className="check">
                <input
                  type="checkbox"
                  data-testid="finetune-escapedMass"
                  checked={form.escapedMass}
                  disabled={fixed}
                  aria-describedby={fixed ? 'finetune-escapedMass-fixed' : undefined}
                  onChange={(e) => void chooseFinetune('escapedMass', e.target.checked)}
                />{' '}
                escaped mass (LoRA-RITE)
              </label>
              <HelpTip topic="escapedMass" />
            </>
          )}
        />
      </fieldset>
    </div>
  );
}
