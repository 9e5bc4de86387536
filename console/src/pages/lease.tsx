/** One lease: its state, provider, prices and metering, followed block by block. */
import { useApi, useFinalized, useHeads } from '../chain';
import { MeteringChart } from '../components/MeteringChart';
import { formatUra, shortAddress } from '../format';
import { lease, type LeaseView } from '../market';

/** The states the lease went through, with their blocks: "assigned #5 → running #7 → completed #19". */
function timeline(view: LeaseView): string[] {
  const steps = [`assigned #${view.assignedAt}`];
  if (view.startedAt !== null) steps.push(`running #${view.startedAt}`);
  if (view.endedAt !== null) steps.push(`${view.state} #${view.endedAt}`);
  else if (view.state !== 'assigned' && view.state !== 'running') steps.push(view.state);
  else if (view.endsAt !== null) steps.push(`ends by #${view.endsAt}`);
  return steps;
}

/** The lease page (`#/lease/<id>`). */
export function LeasePage({ id }: { id: number }) {
  const api = useApi();
  const [view, error] = useFinalized(api, () => lease(id), [id]);
  const { finalized } = useHeads(api);
  if (error) return <section><p class="error">{error}</p></section>;
  if (view === undefined) return <section><p class="muted">Loading lease #{id}…</p></section>;
  if (view === null) return <section><p class="error">No lease #{id}.</p></section>;
  const u = view.usage;
  return (
    <section>
      <h2>Lease #{view.id} (order #{view.order})</h2>
      <table>
        <tbody>
          <tr><th>State</th><td data-testid="lease-state">{view.state}</td></tr>
          <tr><th>Provider</th><td class="mono" title={view.provider}>{shortAddress(view.provider)} · machine #{view.machine}</td></tr>
          <tr><th>History</th><td data-testid="lease-timeline">{timeline(view).join(' → ')}</td></tr>
          <tr><th>Exit</th><td data-testid="lease-exit">{view.exitCode !== null ? `code ${view.exitCode}` : '–'}{view.result ? ` · ${view.result}` : ''}</td></tr>
          <tr><th>Charged</th><td data-testid="lease-charged" data-planck={u.charged}>{formatUra(BigInt(u.charged), 12)}</td></tr>
          <tr><th>Escrow left</th><td>{formatUra(BigInt(u.left), 6)} of {formatUra(BigInt(u.allotment), 6)}</td></tr>
          <tr><th>Metered</th><td>{(u.counters.cpuMicros / 1e6).toFixed(3)} CPU-s · {(u.counters.memoryByteSeconds / 2 ** 30).toFixed(3)} GiB-s memory · {u.counters.netBytes} B network · {(u.counters.wallMillis / 1000).toFixed(1)} s wall (report #{u.seq})</td></tr>
          <tr><th>Prices</th><td>{formatUra(BigInt(view.prices.cpuCoreSecond), 8)} per core-second, {formatUra(BigInt(view.prices.memoryGibSecond), 8)} per GiB-second</td></tr>
        </tbody>
      </table>
      <h2>Metering</h2>
      {finalized > 0 && <MeteringChart api={api} view={view} finalized={finalized} />}
    </section>
  );
}
