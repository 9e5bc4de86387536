// Contribution pays, on a real `uranus-node --dev` whose off-chain worker drives a real
// `uranus-agent`: the worker registers Dave's machine and container from what the agent
// measured and heartbeats it; governance (sudo) marks its hardware verified; Dave's share of
// the era accrues (`poc_pendingRewards`), the era's end funds the PoC pool with the
// inflation stakers do not get, and Dave claims. Then Alice's era reward is paid out with
// `staking.payoutStakers`, as polkadot.js Apps' Staking → Payouts page submits it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sendTx, waitFor } from './harness.mjs';
import { startChain, becomeProvider } from './compute.mjs';

/** How `who`'s free + reserved changed in block `n`. */
async function balanceDelta(api, n, who) {
  const at = async (k) => {
    const { data } = await (await api.at(await api.rpc.chain.getBlockHash(k))).query.system.account(who);
    return data.free.toBigInt() + data.reserved.toBigInt();
  };
  return (await at(n)) - (await at(n - 1));
}

test('a provider registered by its worker accrues and claims PoC rewards; payoutStakers pays Alice', { timeout: 600_000 }, async () => {
  const chain = await startChain();
  try {
    const { api, keyring, rpc } = chain;
    const dave = keyring.addFromUri('//Dave');
    const alice = keyring.addFromUri('//Alice');

    const machine = await becomeProvider(chain, '//Dave');
    // Before verification the machine's basic contribution earns nothing (default share 0).
    const before = await rpc('poc_pendingRewards', [dave.address]);
    assert.equal(BigInt(before.accruingScoreBlocks), 0n, 'unverified hardware accrues no share');
    const verified = await sendTx(api, alice,
      api.tx.sudo.sudo(api.tx.registry.setHardwareVerified(machine.id, true)));
    assert.ok(verified.events.some(({ event }) => api.events.registry.HardwareVerified.is(event)));

    // The worker's next heartbeats add to Dave's share of the open period.
    const accruing = await waitFor(async () => {
      const p = await rpc('poc_pendingRewards', [dave.address]);
      return BigInt(p.accruingScoreBlocks) > 0n ? p : null;
    }, 180_000, 'Dave accrues score-blocks', 1_000);
    assert.ok(BigInt(accruing.periodScoreBlocks) >= BigInt(accruing.accruingScoreBlocks));
    console.log(`rewards: period ${accruing.period}, Dave ${accruing.accruingScoreBlocks} of ${accruing.periodScoreBlocks} score-blocks`);

    // The era ends: its remainder funds the pool and the period closes; Dave's share is claimable.
    const pending = await waitFor(async () => {
      const p = await rpc('poc_pendingRewards', [dave.address]);
      return BigInt(p.claimable) > 0n ? p : null;
    }, 240_000, 'Dave\'s share becomes claimable', 1_000);
    const claimed = await sendTx(api, dave, api.tx.poc.claimRewards());
    const [paid] = claimed.events.filter(({ event }) => api.events.poc.RewardsClaimed.is(event))
      .map(({ event }) => event.data);
    assert.equal(paid.who.toString(), dave.address);
    assert.ok(paid.amount.toBigInt() >= BigInt(pending.claimable), 'claimed at least what was pending');
    // Dave's balance moved by the reward less the fees he paid in that block (the worker's
    // heartbeats are his transactions too).
    const delta = await balanceDelta(api, claimed.blockNumber, dave.address);
    const blockEvents = await (await api.at(claimed.blockHash)).query.system.events();
    const fees = blockEvents.filter(({ event }) => api.events.transactionPayment.TransactionFeePaid.is(event)
      && event.data.who.toString() === dave.address)
      .reduce((s, { event }) => s + event.data.actualFee.toBigInt() + event.data.tip.toBigInt(), 0n);
    assert.equal(delta, paid.amount.toBigInt() - fees, 'Dave received the reward');
    await assert.rejects(sendTx(api, dave, api.tx.poc.claimRewards()), /poc.NothingToClaim/);
    console.log(`rewards: Dave claimed ${paid.amount} planck`);

    // Staking → Payouts: an ended era of Alice's, paid by payoutStakers.
    const aliceStash = keyring.addFromUri('//Alice//stash').address;
    const active = (await api.query.staking.activeEra()).unwrap().index.toNumber();
    assert.ok(active >= 1, 'an era ended');
    const era = active - 1;
    const reward = (await api.query.staking.erasValidatorReward(era)).unwrap().toBigInt();
    assert.ok(reward > 0n, `era ${era} has a staker reward`);
    const payout = await sendTx(api, alice, api.tx.staking.payoutStakers(aliceStash, era));
    const rewarded = payout.events.filter(({ event }) => api.events.staking.Rewarded.is(event))
      .map(({ event }) => event.data);
    const toAlice = rewarded.filter((r) => r.stash.toString() === aliceStash)
      .reduce((s, r) => s + r.amount.toBigInt(), 0n);
    assert.ok(toAlice > 0n && toAlice <= reward, `Alice is paid her era reward (${toAlice} of ${reward})`);
    assert.equal(await balanceDelta(api, payout.blockNumber, aliceStash), toAlice, 'it reached her stash');
    await assert.rejects(sendTx(api, alice, api.tx.staking.payoutStakers(aliceStash, era)), /staking\.AlreadyClaimed/);
    console.log(`payouts: era ${era}, Alice's stash got ${toAlice} planck of ${reward}`);
  } finally {
    await chain.stop();
    await chain.agent.stop();
  }
});
