/**
 * One lease: its state, provider, prices and metering, followed block by block; for its user,
 * top-up while it runs (and resumes it when paused), rating and dispute once it ended, and its
 * logs and result through the provider's gateway.
 */
import type { ApiPromise } from '@polkadot/api';
import { useState } from 'preact/hooks';
import { useApi, useFinalized, useHeads } from '../chain';
import { LeaseResults } from '../components/LeaseResults';
import { MeteringChart } from '../components/MeteringChart';
import { TxStatus } from '../components/TxStatus';
import { formatUra, parseUra, shortAddress } from '../format';
import { lease, type DisputeView, type LeaseView } from '../market';
import { submit, type TxState } from '../tx';
import type { Account } from '../wallet';

/** The states the lease went through, with their blocks: "assigned #5 → running #7 → completed #19". */
function timeline(view: LeaseView): string[] {
  const steps = [`assigned #${view.assignedAt}`];
  if (view.startedAt !== null) steps.push(`running #${view.startedAt}`);
  if (view.endedAt !== null) steps.push(`${view.state} #${view.endedAt}`);
  else if (view.state !== 'assigned' && view.state !== 'running') steps.push(view.state);
  else if (view.endsAt !== null) steps.push(`ends by #${view.endsAt}`);
  return steps;
}

/** A dispute in words. */
function disputeText(d: DisputeView): string {
  switch (d.state) {
    case 'open': return `open since #${d.at}: ${formatUra(BigInt(d.amount), 6)} held from the provider until the dispute origin decides`;
    case 'resolved': return `resolved: ${formatUra(BigInt(d.refunded), 6)} refunded, ${formatUra(BigInt(d.slashed), 6)} slashed from the provider to you`;
    case 'lapsed': return `lapsed: nobody decided in time, ${formatUra(BigInt(d.released), 6)} went back to the provider`;
    default: return 'none';
  }
}

const ACTIVE = ['assigned', 'running', 'paused'];

/** What the lease's user can do: top up an active lease; rate and dispute an ended one. */
function UserActions({ api, view, account, finalized }: { api: ApiPromise; view: LeaseView; account: Account; finalized: number }) {
  const [blocks, setBlocks] = useState('50');
  const [stars, setStars] = useState('5');
  const [amount, setAmount] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [tx, setTx] = useState<TxState | null>(null);
  const busy = tx !== null && tx.stage !== 'finalized' && tx.stage !== 'failed';
  const send = async (make: () => Parameters<typeof submit>[2]) => {
    let call;
    try { call = make(); } catch (e) { setProblem((e as Error).message); return; }
    setProblem(null);
    await submit(api, account, call, setTx);
  };
  const disputeWindow = Number(api.consts.market.disputeWindow.toString());
  const ended = view.endedAt !== null;
  const disputeOpen = ended && view.endsAt !== null && view.dispute.state === 'none' && finalized <= (view.endedAt ?? 0) + disputeWindow;
  return (
    <section>
      <h2>Your lease</h2>
      {view.state === 'paused' && (
        <p class="error" data-testid="lease-paused">
          Paused: the order's escrow ran low, so the provider froze the job (its memory and files are kept). Top the order up to resume it.
        </p>
      )}
      {ACTIVE.includes(view.state) && (
        <form class="row" onSubmit={(e) => { e.preventDefault(); void send(() => {
          if (!/^\d+$/.test(blocks.trim()) || Number(blocks) < 1) throw new Error(`Blocks: "${blocks}" is not a whole number of blocks`);
          return api.tx.market.topUp(view.order, Number(blocks));
        }); }}>
          <label>Prepay more blocks of order #{view.order}{' '}
            <input data-testid="topup-blocks" value={blocks} size={6} onInput={(e) => setBlocks((e.target as HTMLInputElement).value)} />
          </label>
          <button type="submit" disabled={busy} data-testid="topup-submit">Top up</button>
          <span class="muted">escrow left {formatUra(BigInt(view.usage.left), 6)}</span>
        </form>
      )}
      {ended && (
        <table>
          <tbody>
            <tr>
              <th>Rating</th>
              <td data-testid="lease-rating">
                {view.rating !== null ? `${'★'.repeat(view.rating)}${'☆'.repeat(5 - view.rating)} (${view.rating}/5)` : view.endsAt === null ? 'never started: nothing to rate' : (
                  <form class="row" onSubmit={(e) => { e.preventDefault(); void send(() => api.tx.market.rateLease(view.id, Number(stars))); }}>
                    <select data-testid="rate-stars" value={stars} onChange={(e) => setStars((e.target as HTMLSelectElement).value)}>
                      {[5, 4, 3, 2, 1].map((n) => <option key={n} value={String(n)}>{'★'.repeat(n)} {n}</option>)}
                    </select>
                    <button type="submit" disabled={busy} data-testid="rate-submit">Rate</button>
                  </form>
                )}
              </td>
            </tr>
            <tr>
              <th>Dispute</th>
              <td data-testid="lease-dispute" data-state={view.dispute.state}>
                {disputeOpen ? (
                  <form class="row" onSubmit={(e) => { e.preventDefault(); void send(() => api.tx.market.disputeLease(view.id, parseUra(amount))); }}>
                    <input data-testid="dispute-amount" placeholder="URA to hold" value={amount} size={10} onInput={(e) => setAmount((e.target as HTMLInputElement).value)} />
                    <button type="submit" disabled={busy} data-testid="dispute-submit">Dispute</button>
                    <span class="muted">until block #{(view.endedAt ?? 0) + disputeWindow}; at most what the provider earned from this lease is held</span>
                  </form>
                ) : disputeText(view.dispute)}
              </td>
            </tr>
          </tbody>
        </table>
      )}
      {problem && <p class="error" data-testid="lease-problem">{problem}</p>}
      <TxStatus state={tx} />
    </section>
  );
}

/** The lease page (`#/lease/<id>`). */
export function LeasePage({ id, account }: { id: number; account: Account | null }) {
  const api = useApi();
  const [view, error] = useFinalized(api, () => lease(id), [id]);
  const { finalized } = useHeads(api);
  if (error) return <section><p class="error">{error}</p></section>;
  if (view === undefined) return <section><p class="muted">Loading lease #{id}…</p></section>;
  if (view === null) return <section><p class="error">No lease #{id}.</p></section>;
  const u = view.usage;
  const mine = account !== null && account.address === view.user;
  return (
    <>
      <section>
        <h2>Lease #{view.id} (order #{view.order})</h2>
        <table>
          <tbody>
            <tr><th>State</th><td data-testid="lease-state">{view.state}{view.endCause ? ` (${view.endCause})` : ''}</td></tr>
            <tr><th>User</th><td class="mono" title={view.user}>{shortAddress(view.user)}</td></tr>
            <tr><th>Provider</th><td class="mono" title={view.provider}>{shortAddress(view.provider)} · machine #{view.machine}</td></tr>
            <tr><th>History</th><td data-testid="lease-timeline">{timeline(view).join(' → ')}</td></tr>
            <tr><th>Exit</th><td data-testid="lease-exit">{view.exitCode !== null ? `code ${view.exitCode}` : '–'}{view.result ? ` · ${view.result}` : ''}</td></tr>
            <tr><th>Charged</th><td data-testid="lease-charged" data-planck={u.charged}>{formatUra(BigInt(u.charged), 12)}</td></tr>
            <tr><th>Escrow left</th><td data-testid="lease-left" data-planck={u.left}>{formatUra(BigInt(u.left), 6)} of {formatUra(BigInt(u.allotment), 6)}</td></tr>
            <tr><th>Metered</th><td>{(u.counters.cpuMicros / 1e6).toFixed(3)} CPU-s · {(u.counters.memoryByteSeconds / 2 ** 30).toFixed(3)} GiB-s memory · {u.counters.netBytes} B network · {(u.counters.wallMillis / 1000).toFixed(1)} s wall (report #{u.seq})</td></tr>
            <tr><th>Prices</th><td>{formatUra(BigInt(view.prices.cpuCoreSecond), 8)} per core-second, {formatUra(BigInt(view.prices.memoryGibSecond), 8)} per GiB-second</td></tr>
          </tbody>
        </table>
      </section>
      {mine && <UserActions api={api} view={view} account={account} finalized={finalized} />}
      {!mine && <section><p class="muted" data-testid="lease-not-yours">Choose the lease's user ({shortAddress(view.user)}) to top it up, rate or dispute it, and read its logs and result.</p></section>}
      {mine && <LeaseResults api={api} view={view} account={account} />}
      <section>
        <h2>Metering</h2>
        {finalized > 0 && <MeteringChart api={api} view={view} finalized={finalized} />}
      </section>
    </>
  );
}
