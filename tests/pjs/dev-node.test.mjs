// polkadot.js end-to-end test against a real `uranus-node --dev --tmp`.
//
// Starts the node (URANUS_NODE, or the release binary under CARGO_TARGET_DIR), connects with
// @polkadot/api 16.5.x, checks the metadata, signs and submits balances.transferKeepAlive,
// waits for finality and checks the events, and checks the staking queries and derives the
// polkadot.js Apps Staking page is built on.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';

const URA = 10n ** 12n;

function nodeBinary() {
  if (process.env.URANUS_NODE) return process.env.URANUS_NODE;
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/uranus/target');
  const bin = join(target, 'release/uranus-node');
  if (!existsSync(bin)) throw new Error(`uranus-node not found at ${bin}; set URANUS_NODE`);
  return bin;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

let node;
let nodeExit;
let api;
let keyring;

before(async () => {
  await cryptoWaitReady();
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const promPort = await freePort();
  node = spawn(nodeBinary(), [
    '--dev', '--tmp', '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--prometheus-port', String(promPort), '--no-mdns', '--no-telemetry',
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  node.stderr.on('data', (d) => { logs.push(d.toString()); if (logs.length > 200) logs.shift(); });
  nodeExit = new Promise((resolve) => node.on('exit', (code, signal) => resolve({ code, signal })));

  // The RPC server takes a moment: retry the connection until it answers.
  const deadline = Date.now() + 120_000;
  for (;;) {
    const provider = new WsProvider(`ws://127.0.0.1:${rpcPort}`, false);
    try {
      await withTimeout(provider.connect(), 5_000, 'connect');
      await withTimeout(provider.isReadyOrError, 5_000, 'provider ready');
      api = await withTimeout(ApiPromise.create({ provider, throwOnConnect: true }), 60_000, 'ApiPromise.create');
      break;
    } catch (e) {
      await provider.disconnect().catch(() => {});
      if (Date.now() > deadline) throw new Error(`node RPC never came up: ${e}\n${logs.join('')}`);
      await new Promise((r) => setTimeout(r, 1_000));
    }
  }
  keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
});

after(async () => {
  if (api) await api.disconnect();
  if (node && node.exitCode === null) {
    node.kill('SIGINT');
    const { code, signal } = await withTimeout(nodeExit, 60_000, 'node shutdown');
    assert.equal(code, 0, `node exited with ${code} / ${signal}`);
  }
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
