/**
 * A lease's metering over time: the charge (µURA) and the CPU time used, sampled from
 * `market_lease` at past blocks (at most 120 samples between assignment and the end), then
 * one more at each finalized block while the lease runs. Drawn with uPlot.
 */
import type { ApiPromise } from '@polkadot/api';
import { useEffect, useMemo, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { usePlot } from './usePlot';
import { lease, type LeaseView } from '../market';

const MAX_SAMPLES = 120;

/** One sample: block, charged (planck), CPU seconds. */
interface Sample {
  block: number;
  charged: bigint;
  cpuSeconds: number;
}

async function sampleAt(api: ApiPromise, id: number, block: number): Promise<Sample | null> {
  const hash = await api.rpc.chain.getBlockHash(block);
  const v = await lease(id, hash.toHex());
  return v ? { block, charged: BigInt(v.usage.charged), cpuSeconds: v.usage.counters.cpuMicros / 1e6 } : null;
}

/** The blocks to sample between `from` and `to`: every one, or evenly spaced with both ends. */
function blocksBetween(from: number, to: number): number[] {
  const count = to - from + 1;
  if (count <= 0) return [];
  if (count <= MAX_SAMPLES) return Array.from({ length: count }, (_, i) => from + i);
  const step = (to - from) / (MAX_SAMPLES - 1);
  return Array.from({ length: MAX_SAMPLES }, (_, i) => Math.round(from + i * step));
}

/** The metering chart of lease `view`, up to the finalized block `finalized`. */
export function MeteringChart({ api, view, finalized }: { api: ApiPromise; view: LeaseView; finalized: number }) {
  const [samples, setSamples] = useState<Sample[]>([]);
  const last = view.endedAt ?? finalized;

  useEffect(() => {
    let alive = true;
    const have = new Set(samples.map((s) => s.block));
    const from = samples.length ? samples[samples.length - 1].block + 1 : view.assignedAt;
    const wanted = samples.length ? blocksBetween(from, last).slice(-MAX_SAMPLES) : blocksBetween(view.assignedAt, last);
    const todo = wanted.filter((b) => !have.has(b) && b >= 1);
    if (todo.length === 0) return;
    Promise.all(todo.map((b) => sampleAt(api, view.id, b))).then((got) => {
      if (!alive) return;
      const fresh = got.filter((s): s is Sample => s !== null);
      setSamples((old) => [...old, ...fresh].sort((a, b) => a.block - b.block));
    });
    return () => { alive = false; };
  }, [api, view.id, view.assignedAt, last]);

  const data = useMemo<uPlot.AlignedData>(() => [
    samples.map((s) => s.block),
    samples.map((s) => Number(s.charged) / 1e6),
    samples.map((s) => s.cpuSeconds),
  ], [samples]);
  const box = usePlot(() => ({
    width: 760,
    height: 240,
    scales: { x: { time: false } },
    axes: [{ label: 'block' }, { label: 'charged (µURA)', scale: 'URA', size: 70 }, { label: 'CPU s', scale: 's', side: 1 }],
    series: [
      { label: 'block' },
      { label: 'charged (µURA)', scale: 'URA', stroke: '#3b5bdb', width: 2, value: (_u, v) => (v == null ? '–' : v.toFixed(6)) },
      { label: 'CPU seconds', scale: 's', stroke: '#2b8a3e', width: 2 },
    ],
  }), data);

  const end = samples[samples.length - 1];
  return (
    <div data-testid="metering-chart" data-points={samples.length} data-last-charged={end ? end.charged.toString() : ''} data-last-block={end ? end.block : ''}>
      <div ref={box} />
    </div>
  );
}
