/**
 * Network: best and finalized block live, era and session, the candidates with the white
 * paper's ranking figures, and the DPoS vote / unvote form.
 */
import type { ApiPromise } from '@polkadot/api';
import type { u128, u32 } from '@polkadot/types';
import { useState } from 'preact/hooks';
import { useApi, useFinalized, useHeads } from '../chain';
import { TxStatus } from '../components/TxStatus';
import { formatUra, parseUra, shortAddress } from '../format';
import { type Candidate, loadNetwork, loadVote } from '../staking';
import { submit, type TxState } from '../tx';
import type { Account } from '../wallet';

/** The live block heights. */
export function Heights() {
  const api = useApi();
  const { best, finalized } = useHeads(api);
  return (
    <div class="stats">
      <div class="stat"><b data-testid="best">#{best}</b><span>best block</span></div>
      <div class="stat"><b data-testid="finalized">#{finalized}</b><span>finalized</span></div>
    </div>
  );
}

/** The network page. */
export function NetworkPage({ account }: { account: Account | null }) {
  const api = useApi();
  const [tick, setTick] = useState(0);
  const [network, error] = useFinalized(api, () => loadNetwork(api), [tick]);
  return (
    <>
      <section>
        <h2>Chain</h2>
        <div class="stats">
          <Heights />
          <div class="stat"><b data-testid="era">{network?.era ?? '–'}</b><span>era</span></div>
          <div class="stat"><b data-testid="session">{network?.session ?? '–'}</b><span>session</span></div>
        </div>
      </section>
      <section>
        <h2>Validators and candidates</h2>
        {error && <p class="error">{error}</p>}
        <CandidateTable candidates={network?.candidates ?? []} />
      </section>
      <VoteForm api={api} account={account} candidates={network?.candidates ?? []} onDone={() => setTick((t) => t + 1)} />
    </>
  );
}

/** Wt in words: St · Vt in URA² when votes back the candidate, else Vt in URA. */
function formatWeight(c: Candidate): string {
  if (c.st === 0n) return formatUra(c.wt);
  const ura2 = c.wt / 10n ** 24n;
  return `${ura2.toLocaleString('en-US')} URA²`;
}

function CandidateTable({ candidates }: { candidates: Candidate[] }) {
  return (
    <table data-testid="candidates">
      <thead>
        <tr>
          <th>Candidate</th><th></th>
          <th class="num" title="own bond">Vb</th><th class="num" title="stake lent by nominators">Lb</th>
          <th class="num" title="Vb + Lb">Vt</th><th class="num" title="stake voting for it">St</th>
          <th class="num" title="St · Vt (Vt when St = 0)">Wt</th>
        </tr>
      </thead>
      <tbody>
        {candidates.map((c) => (
          <tr key={c.stash} data-candidate={c.stash}>
            <td class="mono" title={c.stash}>{shortAddress(c.stash)}</td>
            <td>{c.elected && <span class="badge">validator</span>}</td>
            <td class="num" data-col="Vb">{formatUra(c.vb)}</td>
            <td class="num" data-col="Lb">{formatUra(c.lb)}</td>
            <td class="num" data-col="Vt">{formatUra(c.vt)}</td>
            <td class="num" data-col="St" data-planck={c.st.toString()}>{formatUra(c.st)}</td>
            <td class="num" data-col="Wt" data-planck={c.wt.toString()}>{formatWeight(c)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Checks a vote before anything is signed; returns why it cannot go, or null. */
async function checkVote(api: ApiPromise, account: Account, chosen: string[], stake: bigint): Promise<string | null> {
  if (chosen.length === 0) return 'Choose at least one candidate.';
  const max = (api.consts.dpos.maxVotes as u32).toNumber();
  if (chosen.length > max) return `At most ${max} candidates per vote.`;
  if (stake <= 0n) return 'The stake must be more than 0.';
  const [info, vote] = await Promise.all([api.query.system.account(account.address), loadVote(api, account.address)]);
  const total = info.data.free.toBigInt() + info.data.reserved.toBigInt();
  const deposit = vote ? 0n : (api.consts.dpos.voteDeposit as u128).toBigInt();
  if (stake + deposit > total) {
    return `Not enough funds: the stake ${formatUra(stake)}${deposit ? ` plus the vote deposit ${formatUra(deposit)}` : ''} is more than this account's balance of ${formatUra(total)}.`;
  }
  return null;
}

function VoteForm({ api, account, candidates, onDone }: { api: ApiPromise; account: Account | null; candidates: Candidate[]; onDone: () => void }) {
  const [chosen, setChosen] = useState<string[]>([]);
  const [stakeText, setStakeText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const [tx, setTx] = useState<TxState | null>(null);
  const [vote] = useFinalized(api, () => (account ? loadVote(api, account.address) : Promise.resolve(null)), [account?.address, tx?.stage]);
  const busy = tx !== null && tx.stage !== 'finalized' && tx.stage !== 'failed';

  const onVote = async (e: Event) => {
    e.preventDefault();
    if (!account) { setProblem('Choose an account first.'); return; }
    let stake: bigint;
    try { stake = parseUra(stakeText); } catch (err) { setProblem((err as Error).message); return; }
    const why = await checkVote(api, account, chosen, stake);
    setProblem(why);
    if (why) return;
    const end = await submit(api, account, api.tx.dpos.vote(chosen, stake), setTx);
    if (end.stage === 'finalized') onDone();
  };
  const onUnvote = async () => {
    if (!account) return;
    const end = await submit(api, account, api.tx.dpos.unvote(), setTx);
    if (end.stage === 'finalized') onDone();
  };
  const toggle = (stash: string) => setChosen((c) => (c.includes(stash) ? c.filter((x) => x !== stash) : [...c, stash]));

  return (
    <section>
      <h2>Vote</h2>
      <p class="muted">
        Your stake stays in your account, frozen, and counts fully for every candidate you choose (St). A new vote replaces the old one.
      </p>
      {vote && (
        <p data-testid="my-vote">
          Your vote: {formatUra(vote.stake)} for {vote.candidates.map(shortAddress).join(', ')}{' '}
          <button class="secondary" type="button" disabled={busy} onClick={onUnvote} data-testid="unvote">Unvote</button>
        </p>
      )}
      <form class="row" onSubmit={onVote}>
        {candidates.map((c) => (
          <label key={c.stash}>
            <input type="checkbox" data-testid={`choose-${c.stash}`} checked={chosen.includes(c.stash)} onChange={() => toggle(c.stash)} />{' '}
            <span class="mono">{shortAddress(c.stash)}</span>
          </label>
        ))}
        <input data-testid="vote-stake" placeholder="stake, URA" value={stakeText} onInput={(e) => setStakeText((e.target as HTMLInputElement).value)} />
        <button type="submit" disabled={busy} data-testid="vote-submit">Vote</button>
      </form>
      {problem && <p class="error" data-testid="vote-problem">{problem}</p>}
      <TxStatus state={tx} />
    </section>
  );
}
