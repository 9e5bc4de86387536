/**
 * The white paper's validator ranking (§5.2) read from the chain: for each candidate its own
 * bond Vb, stake lent to it Lb (staking nominations), Vt = Vb + Lb, the stake voting for it St
 * (pallet-dpos) and Wt = St · Vt (Vt when nobody votes).
 */
import type { ApiPromise } from '@polkadot/api';
import type { Option, u128, Vec } from '@polkadot/types';
import type { AccountId32 } from '@polkadot/types/interfaces';
import type { Struct } from '@polkadot/types-codec';

/** pallet-dpos's `Vote` record as polkadot.js decodes it. */
interface DposVote extends Struct {
  readonly stake: u128;
  readonly candidates: Vec<AccountId32>;
  readonly deposit: u128;
}

/** One candidate's standing. */
export interface Candidate {
  /** The stash account. */
  stash: string;
  /** Own bond. */
  vb: bigint;
  /** Stake lent to it by nominators. */
  lb: bigint;
  /** Vb + Lb. */
  vt: bigint;
  /** Stake voting for it. */
  st: bigint;
  /** St · Vt, or Vt when St = 0. */
  wt: bigint;
  /** In this session's validator set. */
  elected: boolean;
}

/** Network-wide figures and the candidates, best Wt first. */
export interface NetworkState {
  era: number | null;
  session: number;
  candidates: Candidate[];
}

/** `Wt = St · Vt`, or `Vt` when `St = 0` (as pallet-dpos computes it). */
export function electionWeight(st: bigint, vt: bigint): bigint {
  return st === 0n ? vt : st * vt;
}

/** The active bond of `stash` (0 if it is not bonded). */
async function activeBond(api: ApiPromise, stash: string): Promise<bigint> {
  const controller = await api.query.staking.bonded(stash);
  if (controller.isNone) return 0n;
  const ledger = await api.query.staking.ledger(controller.unwrap());
  return ledger.isSome ? ledger.unwrap().active.toBigInt() : 0n;
}

/** Reads era, session and every candidate's standing. */
export async function loadNetwork(api: ApiPromise): Promise<NetworkState> {
  const [activeEra, session, validators, keys, nominators] = await Promise.all([
    api.query.staking.activeEra(),
    api.query.session.currentIndex(),
    api.query.session.validators(),
    api.query.staking.validators.keys(),
    api.query.staking.nominators.entries(),
  ]);
  const elected = new Set(validators.map((v) => v.toString()));
  const lent = new Map<string, bigint>();
  for (const [key, nominations] of nominators) {
    if (nominations.isNone) continue;
    const bond = await activeBond(api, key.args[0].toString());
    for (const target of nominations.unwrap().targets) {
      lent.set(target.toString(), (lent.get(target.toString()) ?? 0n) + bond);
    }
  }
  const candidates: Candidate[] = [];
  for (const key of keys) {
    const stash = key.args[0].toString();
    const vb = await activeBond(api, stash);
    const lb = lent.get(stash) ?? 0n;
    const st = ((await api.query.dpos.candidateVotes(stash)) as u128).toBigInt();
    const vt = vb + lb;
    candidates.push({ stash, vb, lb, vt, st, wt: electionWeight(st, vt), elected: elected.has(stash) });
  }
  candidates.sort((a, b) => (a.wt === b.wt ? (a.stash < b.stash ? -1 : 1) : a.wt > b.wt ? -1 : 1));
  return {
    era: activeEra.isSome ? activeEra.unwrap().index.toNumber() : null,
    session: session.toNumber(),
    candidates,
  };
}

/** `who`'s standing vote: its stake and the candidates it backs, or null. */
export async function loadVote(api: ApiPromise, who: string): Promise<{ stake: bigint; candidates: string[] } | null> {
  const vote = (await api.query.dpos.votes(who)) as Option<DposVote>;
  if (vote.isNone) return null;
  const v = vote.unwrap();
  return { stake: v.stake.toBigInt(), candidates: v.candidates.map((c) => c.toString()) };
}
