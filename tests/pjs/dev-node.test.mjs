// polkadot.js end-to-end test against a real `uranus-node --dev --tmp`: metadata,
// a signed transfer to finality with its events, a failing transfer, and the staking queries
// and derives the polkadot.js Apps Staking page is built on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
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

test('metadata decodes and describes the Uranus chain', async () => {
  assert.ok(api.runtimeMetadata.version >= 15, `metadata v${api.runtimeMetadata.version}`);
  assert.ok(api.tx.utility.batchAll, 'utility.batchAll');
  assert.ok(api.tx.babe.reportEquivocation && api.tx.grandpa.reportEquivocation, 'equivocation reporting calls');
  assert.equal(api.runtimeVersion.specName.toString(), 'uranus');
  assert.equal(api.registry.chainSS58, 42);
  assert.deepEqual(api.registry.chainDecimals, [12]);
  assert.deepEqual(api.registry.chainTokens, ['URA']);
  assert.equal(api.consts.system.ss58Prefix.toNumber(), 42);
  for (const pallet of ['system', 'balances', 'babe', 'grandpa', 'session', 'staking', 'offences', 'sudo', 'utility']) {
    assert.ok(api.tx[pallet] || api.query[pallet], `pallet ${pallet} in metadata`);
  }
  const exts = api.registry.signedExtensions;
  for (const e of ['CheckNonce', 'CheckMortality', 'ChargeTransactionPayment']) {
    assert.ok(exts.includes(e), `signed extension ${e} (have ${exts})`);
  }
});

test('transferKeepAlive is signed, finalized and emits the expected events', async () => {
  const alice = keyring.addFromUri('//Alice');
  const bob = keyring.addFromUri('//Bob');
  const amount = 123n * URA;
  const { data: before } = await api.query.system.account(bob.address);

  const info = await api.tx.balances.transferKeepAlive(bob.address, amount).paymentInfo(alice);
  assert.ok(info.partialFee.toBigInt() > 0n, 'fee estimate is positive');

  const result = await withTimeout(new Promise((resolve, reject) => {
    let unsub;
    api.tx.balances.transferKeepAlive(bob.address, amount)
      .signAndSend(alice, (res) => {
        if (res.dispatchError) {
          let msg = res.dispatchError.toString();
          if (res.dispatchError.isModule) {
            const m = api.registry.findMetaError(res.dispatchError.asModule);
            msg = `${m.section}.${m.name}`;
          }
          if (unsub) unsub();
          reject(new Error(`dispatch error ${msg}`));
        } else if (res.status.isFinalized) {
          if (unsub) unsub();
          resolve(res);
        }
      })
      .then((u) => { unsub = u; })
      .catch(reject);
  }), 120_000, 'transfer finalization');

  const names = result.events.map(({ event }) => `${event.section}.${event.method}`);
  assert.ok(names.includes('system.ExtrinsicSuccess'), names.join(','));
  assert.ok(names.includes('transactionPayment.TransactionFeePaid'), names.join(','));
  const transfer = result.events.find(({ event }) => api.events.balances.Transfer.is(event));
  assert.ok(transfer, 'balances.Transfer event');
  const [from, to, value] = transfer.event.data;
  assert.equal(from.toString(), alice.address);
  assert.equal(to.toString(), bob.address);
  assert.equal(value.toBigInt(), amount);

  const { data: afterBalance } = await api.query.system.account(bob.address);
  assert.equal(afterBalance.free.toBigInt() - before.free.toBigInt(), amount);
});

test('a transfer above the balance fails with a decodable error and moves nothing', async () => {
  const dave = keyring.addFromUri('//Dave');
  const eve = keyring.addFromUri('//Eve');
  const { data: before } = await api.query.system.account(eve.address);
  const tooMuch = before.free.toBigInt() * 10n;
  const err = await withTimeout(new Promise((resolve, reject) => {
    api.tx.balances.transferKeepAlive(dave.address, tooMuch)
      .signAndSend(eve, (res) => {
        if (res.status.isInBlock || res.status.isFinalized) {
          if (res.dispatchError) {
            if (res.dispatchError.isModule) {
              const m = api.registry.findMetaError(res.dispatchError.asModule);
              resolve(`${m.section}.${m.name}`);
            } else {
              resolve(res.dispatchError.toString());
            }
          } else {
            reject(new Error('transfer above the balance succeeded'));
          }
        }
      })
      .catch((e) => resolve(`rejected: ${e.message}`));
  }), 120_000, 'failing transfer');
  assert.match(err, /FundsUnavailable|InsufficientBalance|Inability to pay|rejected/, err);
  const { data: daveAfter } = await api.query.system.account(dave.address);
  assert.ok(daveAfter.free.toBigInt() < tooMuch, 'nothing moved');
});

test('staking queries and the Apps Staking page derives work', async () => {
  const aliceStash = keyring.addFromUri('//Alice//stash').address;
  const validators = await api.query.session.validators();
  assert.deepEqual(validators.map((v) => v.toString()), [aliceStash]);

  const activeEra = await api.query.staking.activeEra();
  assert.ok(activeEra.isSome, 'active era is set');
  const era = activeEra.unwrap().index.toNumber();
  const overviewEntry = await api.query.staking.erasStakersOverview(era, aliceStash);
  assert.ok(overviewEntry.isSome, 'erasStakersOverview has Alice');
  assert.ok(overviewEntry.unwrap().total.toBigInt() > 0n);

  const ledger = await api.query.staking.bonded(aliceStash);
  assert.ok(ledger.isSome, 'Alice stash is bonded');
  assert.equal(api.tx.staking.bond.meta.args.length, 2, 'bond(value, payee)');
  const count = await api.query.staking.validatorCount();
  assert.equal(count.toNumber(), 1);

  const overview = await withTimeout(api.derive.staking.overview(), 30_000, 'derive.staking.overview');
  assert.deepEqual(overview.validators.map((v) => v.toString()), [aliceStash]);
  assert.equal(overview.activeEra.toNumber(), era);

  const elected = await withTimeout(api.derive.staking.electedInfo(), 30_000, 'derive.staking.electedInfo');
  assert.ok(elected.info.length >= 1, 'electedInfo lists the validator');
});
