/**
 * Providers: every provider and machine with its hardware, online state and verification,
 * each container's PoC score (basic, service, chain), σ per resource, both over the last
 * blocks (plots), and the chosen account's pending PoC rewards with the claim.
 */
import type { ApiPromise } from '@polkadot/api';
import type { Option } from '@polkadot/types';
import type { Codec } from '@polkadot/types/types';
import { useState } from 'preact/hooks';
import { useApi, useFinalized, useHeads } from '../chain';
import { HistoryChart } from '../components/HistoryChart';
import { TxStatus } from '../components/TxStatus';
import { formatUra, shortAddress } from '../format';
import { machines, pendingRewards, providers, score, sigmas, type MachineView, type ScoreView } from '../market';
import { submit, type TxState } from '../tx';
import type { Account } from '../wallet';

const GIB = 2 ** 30;

interface MachineRow {
  machine: MachineView;
  provider: string;
  verified: boolean;
  scores: Array<{ container: number; score: ScoreView | null }>;
}

async function loadMachines(api: ApiPromise): Promise<MachineRow[]> {
  const [ps, ms] = await Promise.all([providers(), machines()]);
  const names = new Map(ps.map((p) => [p.account, p.name]));
  return Promise.all(ms.map(async (m) => ({
    machine: m,
    provider: names.get(m.owner) ?? shortAddress(m.owner),
    verified: ((await api.query.registry.verifiedMachines(m.id)) as Option<Codec>).isSome,
    scores: await Promise.all(m.containers.map(async (c) => ({ container: c.id, score: await score(c.id) }))),
  })));
}

const n = (v: string | number) => BigInt(String(v));

function Machines({ rows }: { rows: MachineRow[] }) {
  return (
    <table data-testid="machines">
      <thead>
        <tr>
          <th>Machine</th><th>Provider</th><th>Hardware</th><th>State</th>
          <th>Container</th><th class="num">Basic</th><th class="num">Service</th><th class="num">Chain</th><th class="num">PoC score</th>
        </tr>
      </thead>
      <tbody>
        {rows.flatMap(({ machine: m, provider, verified, scores }) =>
          (scores.length ? scores : [null]).map((s, i) => (
            <tr key={`${m.id}-${s?.container ?? 'none'}`} data-machine={m.id} data-container={s?.container}>
              <td>{i === 0 ? `#${m.id}` : ''}</td>
              <td>{i === 0 ? provider : ''}</td>
              <td data-col="hardware">{i === 0 ? `${m.logicalCores} cores ${m.cpuModel} · ${(m.memoryBytes / GIB).toFixed(1)} GiB · ${(m.storageBytes / GIB).toFixed(0)} GiB disk` : ''}</td>
              <td data-col="state">{i === 0 ? `${m.online ? 'online' : 'offline'} · ${verified ? 'verified' : 'not verified'}` : ''}</td>
              <td>{s ? `#${s.container}` : 'no containers'}</td>
              <td class="num">{s?.score ? n(s.score.basic).toLocaleString('en-US') : '–'}</td>
              <td class="num">{s?.score ? n(s.score.service).toLocaleString('en-US') : '–'}</td>
              <td class="num">{s?.score ? n(s.score.chain).toLocaleString('en-US') : '–'}</td>
              <td class="num" data-col="total">{s?.score ? n(s.score.total).toLocaleString('en-US') : '–'}</td>
            </tr>
          )))}
      </tbody>
    </table>
  );
}

function Rewards({ api, account }: { api: ApiPromise; account: Account }) {
  const [tx, setTx] = useState<TxState | null>(null);
  const [pending] = useFinalized(api, () => pendingRewards(account.address), [account.address, tx?.stage]);
  const claimable = pending ? n(pending.claimable) : 0n;
  const busy = tx !== null && tx.stage !== 'finalized' && tx.stage !== 'failed';
  return (
    <section>
      <h2>Your PoC rewards</h2>
      {pending && (
        <p data-testid="rewards" data-claimable={claimable.toString()}>
          Claimable now: <b>{formatUra(claimable, 6)}</b>. Period {pending.period}: your score-blocks so far {n(pending.accruingScoreBlocks).toLocaleString('en-US')} of {n(pending.periodScoreBlocks).toLocaleString('en-US')}, pool {formatUra(n(pending.periodPool), 6)}.{' '}
          <button type="button" disabled={busy || claimable === 0n} onClick={() => submit(api, account, api.tx.poc.claimRewards(), setTx)} data-testid="claim">Claim</button>
        </p>
      )}
      <TxStatus state={tx} />
    </section>
  );
}

/** Blocks the history plots cover. */
const HISTORY_SPAN = 600;
/** Containers drawn in the score plot. */
const MAX_PLOTTED = 8;
const COLORS = ['#3b5bdb', '#2b8a3e', '#e8590c', '#862e9c', '#c92a2a', '#087f5b', '#5c940d', '#364fc7'];

/** PoC score totals per container and σ per resource over the last [`HISTORY_SPAN`] blocks. */
function History({ api, rows, resources }: { api: ApiPromise; rows: MachineRow[]; resources: string[] }) {
  const { finalized } = useHeads(api);
  const containers = rows.flatMap((r) => r.scores.map((s) => s.container)).slice(0, MAX_PLOTTED);
  return (
    <section>
      <h2>History (last {HISTORY_SPAN} blocks)</h2>
      <h3>PoC score per container</h3>
      {containers.length > 0 && (
        <HistoryChart
          key={containers.join(',')}
          api={api}
          finalized={finalized}
          span={HISTORY_SPAN}
          series={containers.map((c, i) => ({ label: `container #${c}`, stroke: COLORS[i % COLORS.length] }))}
          sample={(hash) => Promise.all(containers.map(async (c) => {
            const sc = await score(c, hash);
            return sc ? Number(sc.total) : null;
          }))}
          yLabel="PoC score"
          testid="score-history"
        />
      )}
      <h3>σ per resource</h3>
      {resources.length > 0 && (
        <HistoryChart
          key={resources.join(',')}
          api={api}
          finalized={finalized}
          span={HISTORY_SPAN}
          series={resources.map((r, i) => ({ label: r, stroke: COLORS[i % COLORS.length] }))}
          sample={async (hash) => {
            const at = await sigmas(hash);
            return resources.map((r) => {
              const found = at.find((s) => s.resource === r);
              return found ? Number(found.sigma.value) / 1e6 : null;
            });
          }}
          yLabel="σ"
          testid="sigma-history"
        />
      )}
    </section>
  );
}

/** The providers page. */
export function ProvidersPage({ account }: { account: Account | null }) {
  const api = useApi();
  const [rows, error] = useFinalized(api, () => loadMachines(api), []);
  const [sigma] = useFinalized(api, () => sigmas(), []);
  return (
    <>
      <section>
        <h2>Machines</h2>
        {error && <p class="error">{error}</p>}
        {rows && rows.length === 0 && <p class="muted">No machines registered yet.</p>}
        <Machines rows={rows ?? []} />
      </section>
      <section>
        <h2>σ, the price coefficient per resource</h2>
        <table data-testid="sigmas">
          <thead><tr><th>Resource</th><th class="num">σ</th><th class="num">Allowed</th><th class="num">Online supply</th></tr></thead>
          <tbody>
            {(sigma ?? []).map((s) => (
              <tr key={s.resource} data-resource={s.resource}>
                <td>{s.resource}</td>
                <td class="num" data-col="sigma">{(Number(s.sigma.value) / 1e6).toFixed(3)}</td>
                <td class="num">{(Number(s.sigma.min) / 1e6).toFixed(2)} – {(Number(s.sigma.max) / 1e6).toFixed(2)}</td>
                <td class="num">{n(s.supply).toLocaleString('en-US')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {rows && sigma && <History api={api} rows={rows} resources={sigma.map((s) => s.resource)} />}
      {account && <Rewards api={api} account={account} />}
    </>
  );
}
