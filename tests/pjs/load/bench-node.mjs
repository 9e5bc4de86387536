// A `uranus-node --chain bench` for the load harnesses: the dev chain plus 20,000 funded
// senders (`//Sender//i`), ParityDB, off-chain workers off, and the node settings load needs
// (also in the README): a transaction pool that holds the whole load, many RPC connections
// and large RPC messages.
import { spawn } from 'node:child_process';
import { createConnection } from 'node:net';
import { ApiPromise, WsProvider } from '@polkadot/api';
import { cryptoWaitReady } from '@polkadot/util-crypto';
import { binary, freePort, withTimeout } from '../harness.mjs';

function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** Waits for the RPC port (while `alive()`), then opens a WebSocket provider. */
export async function connect(port, alive = () => true) {
  const deadline = Date.now() + 300_000;
  while (!(await portOpen(port))) {
    if (!alive()) throw new Error('the node exited');
    if (Date.now() > deadline) throw new Error('node RPC never came up');
    await new Promise((r) => setTimeout(r, 500));
  }
  const provider = new WsProvider(`ws://127.0.0.1:${port}`, false, {}, 300_000);
  await withTimeout(provider.connect(), 30_000, 'connect');
  const until = Date.now() + 30_000;
  while (!provider.isConnected) {
    if (Date.now() > until) throw new Error('the WebSocket did not open');
    await new Promise((r) => setTimeout(r, 50));
  }
  return provider;
}

/** Starts the bench chain: `{ api, rpcPort, stop }`; `poolLimit` transactions fit the pool. */
export async function startBenchNode({ poolLimit = 8_192 } = {}) {
  await cryptoWaitReady();
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  const nodeArgs = [
    '--chain', 'bench', '--alice', '--validator', '--tmp', '--rpc-port', String(rpcPort),
    '--node-key', '0000000000000000000000000000000000000000000000000000000000000001',
    '--port', String(p2pPort), '--no-mdns', '--no-telemetry', '--no-prometheus',
    '--pool-limit', String(Math.max(poolLimit, 8_192)), '--pool-kbytes', '204800',
    '--rpc-max-connections', '1000', '--rpc-max-subscriptions-per-connection', '100000',
    '--rpc-max-request-size', '64', '--rpc-max-response-size', '64',
    '--database', 'paritydb', '--offchain-worker', 'never',
  ];
  const t0 = Date.now();
  const node = spawn(binary('uranus-node'), nodeArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  node.stderr.on('data', (d) => { logs.push(d.toString()); if (logs.length > 100) logs.shift(); });
  const exited = new Promise((resolve) => node.on('exit', (code) => resolve(code)));
  const stop = async () => {
    node.kill('SIGINT');
    await withTimeout(exited, 60_000, 'node shutdown').catch(() => node.kill('SIGKILL'));
  };
  try {
    const provider = await connect(rpcPort, () => node.exitCode === null)
      .catch((e) => { throw new Error(`${e.message}\n${logs.join('')}`); });
    const api = await ApiPromise.create({ provider });
    console.log(`bench chain up after ${((Date.now() - t0) / 1000).toFixed(1)} s (genesis with the senders)`);
    return { api, rpcPort, stop: async () => { await api.disconnect().catch(() => {}); await stop(); } };
  } catch (e) {
    await stop();
    throw e;
  }
}

/** Submits signed extrinsics (hex) over `connections` sockets as fast as they are accepted. */
export async function submitAll(rpcPort, hexes, connections = 8) {
  const providers = await Promise.all(Array.from({ length: connections }, () => connect(rpcPort)));
  let rejected = 0;
  const errors = [];
  await Promise.all(providers.map(async (p, k) => {
    const inflight = new Set();
    for (let i = k; i < hexes.length; i += connections) {
      const pr = p.send('author_submitExtrinsic', [hexes[i]]).catch((e) => {
        rejected++;
        if (errors.length < 3) errors.push(e.message);
      }).finally(() => inflight.delete(pr));
      inflight.add(pr);
      if (inflight.size >= 256) await Promise.race(inflight);
    }
    await Promise.all(inflight);
  }));
  await Promise.all(providers.map((p) => p.disconnect()));
  for (const e of errors) console.error(`rejected: ${e}`);
  return rejected;
}

/**
 * Scans blocks from `from + 1` until `count(events)` summed over them reaches `target` (or
 * `timeoutMs` passes): per block `{ number, hits, fullness, timestamp, seconds, perSecond }`
 * with fullness = % of the normal-class weight limit used; `onBlock(events)` sees each block.
 */
export async function scanBlocks(api, from, target, count, timeoutMs = 20 * 60_000, onBlock = async () => {}) {
  const maxNormal = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap().refTime.toBigInt();
  const tsAt = async (n) => (await (await api.at(await api.rpc.chain.getBlockHash(n))).query.timestamp.now()).toNumber();
  const blocks = [];
  let total = 0;
  let n = from + 1;
  const deadline = Date.now() + timeoutMs;
  // Block 0 has no timestamp: the first block then counts as one slot long.
  const slotMs = api.consts.babe.expectedBlockTime.toNumber();
  let previous = await tsAt(from);
  let startTimestamp = previous;
  while (total < target && Date.now() < deadline) {
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    if (n > best) { await new Promise((r) => setTimeout(r, 500)); continue; }
    const at = await api.at(await api.rpc.chain.getBlockHash(n));
    const [events, weight, now] = await Promise.all([at.query.system.events(), at.query.system.blockWeight(), at.query.timestamp.now()]);
    await onBlock(events);
    const hits = count(events);
    if (previous === 0) previous = startTimestamp = now.toNumber() - slotMs;
    const fullness = Number(weight.normal.refTime.toBigInt() * 10_000n / maxNormal) / 100;
    const seconds = (now.toNumber() - previous) / 1000;
    blocks.push({ number: n, hits, fullness, timestamp: now.toNumber(), seconds, perSecond: seconds > 0 ? hits / seconds : 0 });
    previous = now.toNumber();
    total += hits;
    n++;
  }
  return { blocks, total, startTimestamp };
}

/** Peak and sustained rates and fullness of the blocks holding hits (`startTimestamp`: the
 * time the first scanned block counts from, as `scanBlocks` returns it). */
export function summarize(blocks, startTimestamp) {
  const loaded = blocks.filter((b) => b.hits > 0);
  const total = loaded.reduce((s, b) => s + b.hits, 0);
  const first = blocks.findIndex((b) => b.hits > 0);
  const last = blocks.length - 1 - [...blocks].reverse().findIndex((b) => b.hits > 0);
  const begin = first > 0 ? blocks[first - 1].timestamp : startTimestamp;
  const span = loaded.length ? (blocks[last].timestamp - begin) / 1000 : 0;
  const full = loaded.filter((b) => b.fullness >= 90);
  return {
    total,
    blocks: loaded.length,
    maxPerBlock: loaded.reduce((m, b) => Math.max(m, b.hits), 0),
    peakPerSecond: Math.round(loaded.reduce((m, b) => Math.max(m, b.perSecond), 0)),
    sustainedPerSecond: span > 0 ? Math.round(total / span) : 0,
    spanSeconds: span,
    fullBlocks: full.length,
    avgFullnessOfFullBlocks: full.length ? Number((full.reduce((s, b) => s + b.fullness, 0) / full.length).toFixed(2)) : 0,
    maxFullness: loaded.reduce((m, b) => Math.max(m, b.fullness), 0),
  };
}
