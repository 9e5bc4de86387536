/**
 * Values over the last `span` blocks, read from the chain's state at past blocks (at most
 * `maxSamples` evenly spaced samples), then one more at each finalized block. Drawn with uPlot.
 * Used for PoC scores and σ, whose RPCs answer at any block.
 */
import type { ApiPromise } from '@polkadot/api';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import type uPlot from 'uplot';
import { usePlot } from './usePlot';

/** One line of the chart. */
export interface HistorySeries {
  label: string;
  stroke: string;
}

/** A sample: the block and one value per series (null: none at that block). */
interface Sample {
  block: number;
  values: Array<number | null>;
}

/** Evenly spaced blocks from `from` to `to` (both included), at most `max`. */
function spaced(from: number, to: number, max: number): number[] {
  if (to < from) return [];
  const count = to - from + 1;
  if (count <= max) return Array.from({ length: count }, (_, i) => from + i);
  const step = (to - from) / (max - 1);
  return Array.from({ length: max }, (_, i) => Math.round(from + i * step));
}

export function HistoryChart({ api, finalized, span, maxSamples = 40, series, sample, yLabel, testid }: {
  api: ApiPromise;
  finalized: number;
  span: number;
  maxSamples?: number;
  series: HistorySeries[];
  /** The values at block `block` (hash `hash`), one per series. */
  sample: (hash: string, block: number) => Promise<Array<number | null>>;
  yLabel: string;
  testid: string;
}) {
  const [samples, setSamples] = useState<Sample[]>([]);

  const mounted = useRef(true);
  const busy = useRef(false);
  useEffect(() => () => { mounted.current = false; }, []);

  // Samples arrive while blocks keep coming: one batch at a time, none dropped by a newer block.
  useEffect(() => {
    if (finalized < 1 || busy.current) return;
    const from = Math.max(1, finalized - span);
    const have = new Set(samples.map((s) => s.block));
    const wanted = samples.length ? [finalized] : spaced(from, finalized, maxSamples);
    const todo = wanted.filter((b) => !have.has(b));
    if (todo.length === 0) return;
    busy.current = true;
    Promise.all(todo.map(async (block) => {
      const hash = (await api.rpc.chain.getBlockHash(block)).toHex();
      return { block, values: await sample(hash, block) };
    })).then((got) => {
      if (mounted.current) setSamples((old) => [...old, ...got].filter((s) => s.block >= from).sort((a, b) => a.block - b.block));
    }, () => { /* a block the node pruned: skipped */ }).finally(() => { busy.current = false; });
  }, [api, finalized, span]);

  const data = useMemo(
    () => [samples.map((s) => s.block), ...series.map((_, i) => samples.map((s) => s.values[i]))] as uPlot.AlignedData,
    [samples],
  );
  const box = usePlot(() => ({
    width: 760,
    height: 220,
    scales: { x: { time: false } },
    axes: [{ label: 'block' }, { label: yLabel, size: 80 }],
    series: [{ label: 'block' }, ...series.map((s) => ({ label: s.label, stroke: s.stroke, width: 2 }))],
  }), data);

  const end = samples[samples.length - 1];
  return (
    <div data-testid={testid} data-points={samples.length} data-last-block={end ? end.block : ''} data-last-values={end ? JSON.stringify(end.values) : ''}>
      <div ref={box} />
    </div>
  );
}
