import { CartesianGrid, Line, LineChart, ResponsiveContainer, XAxis, YAxis } from 'recharts';
import type { ProfileShares } from '../../lfr/forgettingProfile';
import {
  editProfileEpochs,
  runForgettingProfile,
  stopForgettingProfile,
  useLfrExperiments,
} from '../../store/lfrExperiments';
import { useStudio } from '../../store/store';
import { selectRunLive, selectRunStarting } from '../../store/trainingSlice';
import { CLASS_COLORS } from './ForgettingView';

const CLASSES: { key: keyof Omit<ProfileShares, 'blocks'>; label: string; color: string }[] = [
  { key: 'learned', label: 'learned (fell, never rose after)', color: CLASS_COLORS.learned },
  { key: 'unlearned', label: 'unlearned (rose, never fell)', color: CLASS_COLORS.unlearned },
  { key: 'unchanged', label: 'unchanged (no move past 5%)', color: CLASS_COLORS.unchanged },
  {
    key: 'forgotten',
    label: 'forgotten at least once (fell, then rose)',
    color: CLASS_COLORS.forgotten,
  },
  {
    key: 'forgottenTwice',
    label: 'forgotten two or more times',
    color: CLASS_COLORS.multipleDescent,
  },
];

const percent = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * The paper's motivating experiment: random sampling for N epochs over the LFR form's blocks,
 * every block scored each epoch, and the share of blocks in each forgetting class.
 */
export function ForgettingProfile() {
  const view = useLfrExperiments((s) => s.profile);
  const busy = useStudio((s) => selectRunLive(s) || selectRunStarting(s));
  const ready = useStudio((s) => s.gpu?.ok === true);
  const profile = view.profile;
  const data = profile?.perEpoch.map((p, e) => ({ epoch: e + 1, ...p })) ?? [];
  return (
    <section
      className="lfr-comparison"
      data-testid="lfr-profile"
      data-status={view.status}
      data-epochs-done={profile?.epochsDone ?? 0}
    >
      <h4>Forgetting profile (the paper's motivating experiment)</h4>
      <div className="toolbar">
        <label>
          epochs{' '}
          <input
            type="number"
            min={2}
            data-testid="lfr-profile-epochs"
            value={view.epochs}
            onChange={(e) => editProfileEpochs(e.target.value)}
            style={{ width: '4rem' }}
          />
        </label>
        <button
          type="button"
          data-testid="lfr-profile-button"
          disabled={!ready || busy || view.status === 'running'}
          onClick={() => void runForgettingProfile()}
        >
          Run forgetting profile
        </button>
        {view.status === 'running' && (
          <button type="button" onClick={() => void stopForgettingProfile()}>
            Stop
          </button>
        )}
        <span className="muted">
          Random sampling over the blocks field's blocks, each block scored once per epoch.{' '}
          {view.status === 'running' && `step ${view.step} of ${view.maxSteps}`}
          {view.status === 'done' && 'done'}
          {view.status === 'stopped' && 'stopped'}
        </span>
      </div>
      {view.error && (
        <p className="alert" role="alert" data-testid="lfr-profile-error">
          {view.error}
        </p>
      )}
      {profile && profile.epochsDone > 0 && (
        <>
          <table className="lfr-blocks" data-testid="lfr-profile-table">
            <caption>
              Blocks by their scores over {profile.epochsDone} of {profile.epochs} epochs (
              {profile.final.blocks} blocks; a move counts past {percent(profile.tolerance)}). The
              paper: about 25% forgotten at least once, 82% of those more than once.
            </caption>
            <thead>
              <tr>
                <th>class</th>
                <th>share of blocks</th>
              </tr>
            </thead>
            <tbody>
              {CLASSES.map((c) => (
                <tr
                  key={c.key}
                  data-testid={`lfr-profile-${c.key}`}
                  data-share={profile.final[c.key]}
                >
                  <th scope="row">{c.label}</th>
                  <td>{percent(profile.final[c.key])}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <figure data-testid="lfr-profile-chart" data-points={data.length}>
            <figcaption>
              Share of blocks in each class by their scores up to each epoch:{' '}
              {CLASSES.map((c) => (
                <span key={c.key} className="key" style={{ color: c.color }}>
                  {c.key === 'forgottenTwice' ? 'forgotten 2+' : c.key}{' '}
                </span>
              ))}
            </figcaption>
            <ResponsiveContainer width="100%" height={180}>
              <LineChart data={data} margin={{ top: 4, right: 16, bottom: 0, left: 0 }}>
                <CartesianGrid stroke="#eef0f3" />
                <XAxis
                  dataKey="epoch"
                  type="number"
                  domain={[1, 'dataMax']}
                  allowDecimals={false}
                />
                <YAxis width={44} domain={[0, 1]} tickFormatter={percent} />
                {CLASSES.map((c) => (
                  <Line
                    key={c.key}
                    dataKey={c.key}
                    stroke={c.color}
                    dot={{ r: 2 }}
                    isAnimationActive={false}
                  />
                ))}
              </LineChart>
            </ResponsiveContainer>
          </figure>
        </>
      )}
    </section>
  );
}
