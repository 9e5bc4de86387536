// Shared harness of the polkadot.js tests: starts a real `uranus-node --dev --tmp` on free
// loopback ports, connects @polkadot/api to it, and stops it (checking a clean exit).
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import assert from 'node:assert/strict';
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';

/** One URA in planck. */
export const URA = 10n ** 12n;

/** The path of a release binary cargo built (`uranus-node`, `uranus-agent`). */
export function binary(name) {
  const target = process.env.CARGO_TARGET_DIR || join(homedir(), '.cache/uranus/target');
  const bin = join(target, 'release', name);
  if (!existsSync(bin)) throw new Error(`${name} not found at ${bin}; build it or set CARGO_TARGET_DIR`);
  return bin;
}

function nodeBinary() {
  return process.env.URANUS_NODE || binary('uranus-node');
}

/** A free loopback TCP port. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on('error', reject);
  });
}

/** Rejects with `timeout: what` if `promise` takes longer than `ms`. */
export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`timeout: ${what}`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

/** Starts a dev node (with `extraArgs`) and connects to it: `{ api, keyring, url, stop, logs }`. */
/**
 * A node on the dev chain: by default `--dev` (Alice authoring); with `join` (a multiaddr of
 * another dev node) a second, non-authoring node that syncs from it.
 */
export async function startDevNode({ extraArgs = [], join = null } = {}) {
  await cryptoWaitReady();
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const promPort = await freePort();
  const node = spawn(nodeBinary(), [
    ...(join ? ['--chain', 'dev', '--bootnodes', join] : ['--dev']),
    '--tmp', '--rpc-port', String(rpcPort), '--port', String(p2pPort),
    '--prometheus-port', String(promPort), '--no-mdns', '--no-telemetry', ...extraArgs,
  ], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  node.stderr.on('data', (d) => { logs.push(d.toString()); if (logs.length > 400) logs.shift(); });
  const exited = new Promise((resolve) => node.on('exit', (code, signal) => resolve({ code, signal })));

  // The RPC server takes a moment: retry the connection until it answers.
  let api;
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
  const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
  const stop = async () => {
    await api.disconnect();
    if (node.exitCode === null) {
      node.kill('SIGINT');
      const { code, signal } = await withTimeout(exited, 60_000, 'node shutdown');
      assert.equal(code, 0, `node exited with ${code} / ${signal}`);
    }
  };
  return { api, keyring, url: `ws://127.0.0.1:${rpcPort}`, stop, logs: () => logs.join('') };
}

/** The `section.name` of a dispatch error. */
export function errorName(api, dispatchError) {
  if (dispatchError.isModule) {
    const m = api.registry.findMetaError(dispatchError.asModule);
    return `${m.section}.${m.name}`;
  }
  return dispatchError.toString();
}

/**
 * Signs and submits `tx` as `signer`; resolves once it is in a block with
 * `{ events, blockHash, blockNumber }`, rejects with the module error's name if it failed.
 */
export async function sendTx(api, signer, tx, timeoutMs = 120_000) {
  let unsub;
  const result = await withTimeout(new Promise((resolve, reject) => {
    tx.signAndSend(signer, { nonce: -1 }, (res) => {
      if (res.status.isInBlock) {
        if (unsub) unsub();
        if (res.dispatchError) reject(new Error(errorName(api, res.dispatchError)));
        else resolve(res);
      } else if (res.isError) {
        if (unsub) unsub();
        reject(new Error(`transaction ${res.status.type}`));
      }
    }).then((u) => { unsub = u; }).catch(reject);
  }), timeoutMs, `${tx.method.section}.${tx.method.method}`);
  const blockHash = result.status.asInBlock;
  const header = await api.rpc.chain.getHeader(blockHash);
  return { events: result.events, blockHash, blockNumber: header.number.toNumber() };
}

/** Polls `fn` every `everyMs` until it returns something truthy; rejects after `ms`. */
export async function waitFor(fn, ms, what, everyMs = 500) {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timeout: ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
