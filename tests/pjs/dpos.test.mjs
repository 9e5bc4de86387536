// polkadot.js DPoS flow against a real `uranus-node --dev --tmp`: a candidate bonds, sets
// keys and validates, a lender nominates it, a voter votes for it, and it is elected.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { decodeAddress } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';
import { startDevNode, withTimeout, URA } from './harness.mjs';

let api;
let keyring;
let stop;

before(async () => {
  ({ api, keyring, stop } = await startDevNode());
});

after(async () => {
  if (stop) await stop();
});


// Signs and submits `tx`, resolving with the events once it is in a block (rejects on error).
function send(tx, signer) {
  return withTimeout(new Promise((resolve, reject) => {
    let unsub;
    tx.signAndSend(signer, (res) => {
      if (res.dispatchError) {
        let msg = res.dispatchError.toString();
        if (res.dispatchError.isModule) {
          const m = api.registry.findMetaError(res.dispatchError.asModule);
          msg = `${m.section}.${m.name}`;
        }
        if (unsub) unsub();
        reject(new Error(msg));
      } else if (res.status.isInBlock) {
        const failed = res.events.find(({ event }) => api.events.system.ExtrinsicFailed.is(event)
          || (api.events.utility.BatchInterrupted && api.events.utility.BatchInterrupted.is(event)));
        if (unsub) unsub();
        if (failed) reject(new Error(`failed: ${failed.event.toString()}`)); else resolve(res.events);
      }
    }).then((u) => { unsub = u; }).catch(reject);
  }), 90_000, 'inclusion');
}

test('Eve bonds and validates, Ferdie lends to her, Alice votes: Eve is elected', async () => {
  const URA_ = URA;
  const alice = keyring.addFromUri('//Alice');
  const eve = keyring.addFromUri('//Eve');
  const ferdie = keyring.addFromUri('//Ferdie');

  // Room for a second validator (sudo stands in for governance on dev chains).
  await send(api.tx.sudo.sudo(api.tx.staking.setValidatorCount(2)), alice);

  // Eve's session keys are generated in this node's keystore with an ownership proof.
  const { keys, proof } = await api._rpcCore.provider.send(
    'author_rotateKeysWithOwner', [u8aToHex(decodeAddress(eve.address))]);
  const minBond = (await api.query.staking.minValidatorBond()).toBigInt();
  await send(api.tx.utility.batchAll([
    api.tx.staking.bond(minBond, 'Staked'),
    api.tx.session.setKeys(keys, proof),
    api.tx.staking.validate({ commission: 0, blocked: false }),
  ]), eve);
  await send(api.tx.utility.batchAll([
    api.tx.staking.bond(500n * URA_, 'Staked'),
    api.tx.staking.nominate([eve.address]),
  ]), ferdie);
  await send(api.tx.dpos.vote([eve.address], 1000n * URA_), alice);

  assert.equal((await api.query.dpos.candidateVotes(eve.address)).toBigInt(), 1000n * URA_);
  const vote = (await api.query.dpos.votes(alice.address)).unwrap();
  assert.equal(vote.stake.toBigInt(), 1000n * URA_);

  // Elected at an era the election plans (eras are 2 sessions of 10 blocks here). The election
  // is collected in the 8 blocks before it is due: a lending read after Eve's own bond counts
  // from the era after, so wait for the exposure that has both.
  const deadline = Date.now() + 360_000;
  let validators = [];
  let total = 0n;
  while (Date.now() < deadline) {
    validators = (await api.query.session.validators()).map((v) => v.toString());
    if (validators.includes(eve.address)) {
      const era = (await api.query.staking.activeEra()).unwrap().index.toNumber();
      const overview = await api.query.staking.erasStakersOverview(era, eve.address);
      total = overview.isSome ? overview.unwrap().total.toBigInt() : 0n;
      if (total === minBond + 500n * URA_) break;
    }
    await new Promise((r) => setTimeout(r, 3_000));
  }
  assert.ok(validators.includes(eve.address), `Eve in session.validators: ${validators}`);
  assert.equal(total, minBond + 500n * URA_, 'Vt = Vb + Lb');
  // Eve's keys live in this node: BABE claims slots with every local key, so blocks keep
  // coming. (GRANDPA votes with one local key per node, so Alice and Eve as the only two
  // authorities on one node cannot reach 2/3; finality with a new validator is checked by
  // zombienet/election.zndsl, where Eve has her own node and 4 of 5 votes suffice.)
  const before = (await api.rpc.chain.getHeader()).number.toNumber();
  await new Promise((r) => setTimeout(r, 15_000));
  const after = (await api.rpc.chain.getHeader()).number.toNumber();
  assert.ok(after > before, `blocks continue with Eve in the set (${before} -> ${after})`);
});
