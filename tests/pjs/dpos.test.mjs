// polkadot.js DPoS flow against a real `uranus-node --dev --tmp`.
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
import { cryptoWaitReady, decodeAddress } from '@polkadot/util-crypto';
import { u8aToHex } from '@polkadot/util';

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

  // Elected at the next era the election plans (eras are 2 sessions of 10 blocks here).
  const deadline = Date.now() + 360_000;
  let validators = [];
  while (Date.now() < deadline) {
    validators = (await api.query.session.validators()).map((v) => v.toString());
    if (validators.includes(eve.address)) break;
    await new Promise((r) => setTimeout(r, 3_000));
  }
  assert.ok(validators.includes(eve.address), `Eve in session.validators: ${validators}`);
  const era = (await api.query.staking.activeEra()).unwrap().index.toNumber();
  const overview = (await api.query.staking.erasStakersOverview(era, eve.address)).unwrap();
  assert.equal(overview.total.toBigInt(), minBond + 500n * URA_, 'Vt = Vb + Lb');
  // Eve's keys live in this node, so blocks keep coming and being finalized.
  const before = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  await new Promise((r) => setTimeout(r, 15_000));
  const after = (await api.rpc.chain.getHeader(await api.rpc.chain.getFinalizedHead())).number.toNumber();
  assert.ok(after > before, `finality continues with Eve in the set (${before} -> ${after})`);
});
