import { selectDeviceLost, selectGpuStatus } from '../store/gpuSlice';
import { useStudio } from '../store/store';
import type { AdapterReport } from '../worker/protocol';
import { formatBytes } from './format';
import { ReplayPicker } from './replay/ReplayControls';

/** The limits the kernels and model sizes depend on, with whether the value is a byte count. */
const KEY_LIMITS: [name: string, bytes: boolean][] = [
  ['maxBufferSize', true],
  ['maxStorageBufferBindingSize', true],
  ['maxStorageBuffersPerShaderStage', false],
  ['maxComputeInvocationsPerWorkgroup', false],
  ['maxComputeWorkgroupStorageSize', true],
  ['maxComputeWorkgroupsPerDimension', false],
];

const ERROR_TITLES = {
  unavailable: 'No WebGPU',
  limit: 'This GPU lacks a required limit',
  other: 'The GPU could not be started',
};

function AdapterReportView({ adapter }: { adapter: AdapterReport }) {
  return (
    <>
      <dl className="adapter" data-testid="adapter">
        <dt>Vendor</dt>
        <dd data-testid="adapter-vendor">{adapter.vendor || '(not reported)'}</dd>
        <dt>Architecture</dt>
        <dd data-testid="adapter-architecture">{adapter.architecture || '(not reported)'}</dd>
        <dt>Description</dt>
        <dd data-testid="adapter-description">{adapter.description || '(not reported)'}</dd>
        {adapter.isFallbackAdapter && (
          <>
            <dt>Fallback</dt>
            <dd>yes: a software adapter, expect CPU speed</dd>
          </>
        )}
      </dl>
      <table className="limits" data-testid="limits-table">
        <thead>
          <tr>
            <th>Limit</th>
            <th>Value</th>
          </tr>
        </thead>
        <tbody>
          {KEY_LIMITS.map(([name, bytes]) => {
            const value = adapter.limits[name];
            return (
              <tr key={name}>
                <td>
                  <code>{name}</code>
                </td>
                <td className="num" title={String(value)}>
                  {value === undefined ? 'n/a' : bytes ? formatBytes(value) : value}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="features" data-testid="features">
        <span className="label">Features:</span>{' '}
        {adapter.features.length === 0
          ? 'none'
          : adapter.features.map((f) => <code key={f}>{f}</code>)}
      </p>
    </>
  );
}

export function GpuPanel() {
  const gpu = useStudio(selectGpuStatus);
  const lost = useStudio(selectDeviceLost);
  return (
    <section className="panel" aria-labelledby="gpu-title">
      <h2 id="gpu-title">Your GPU</h2>
      {lost && (
        <div className="alert" role="alert" data-testid="device-lost">
          <strong>The GPU device was lost</strong> ({lost.reason || 'unknown reason'})
          {lost.message ? `: ${lost.message}` : ''}. The driver may have reset or the tab was
          suspended; reload the page to start again.
        </div>
      )}
      {gpu === undefined && (
        <p className="muted" data-testid="gpu-pending">
          Acquiring the GPU in a worker…
        </p>
      )}
      {gpu && !gpu.ok && (
        <div className="alert" role="alert" data-testid="gpu-error" data-kind={gpu.kind}>
          <strong>{ERROR_TITLES[gpu.kind]}.</strong> {gpu.message}
        </div>
      )}
      {gpu && !gpu.ok && (
        <>
          <h3>Watch a recorded run</h3>
          <ReplayPicker intro="Without WebGPU this browser cannot train, but it can replay a run the studio recorded: the charts, the LFR views and the samples all work on it." />
        </>
      )}
      {gpu?.ok && <AdapterReportView adapter={gpu.adapter} />}
    </section>
  );
}
