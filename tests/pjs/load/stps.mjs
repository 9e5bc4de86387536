// sTPS load test (the "standard transactions per second" method): a `uranus-node --chain bench`
// whose genesis funds N senders (`//Sender//i`); one pre-signed `balances.transferKeepAlive`
// per sender to a fresh receiver, all submitted as fast as the pool accepts them; a scanner
// counts `balances.Transfer` events per block and divides by the blocks' timestamps.
//
//   node load/stps.mjs                    20,000 transfers (the bench preset's senders)
//   node load/stps.mjs --senders 5000     fewer
//   node load/stps.mjs --smoke            200 transfers: checks the harness works (make test)
//   node load/stps.mjs --json out.json    also writes the figures as JSON
//
// Reports per block: transfers, % of the normal-class weight used, TPS; then peak TPS (best
// block), sustained TPS (all transfers / time from the first to the last block holding them)
// and the average fullness of the full blocks. Nothing here asserts a time: the smoke mode
// only checks that every transfer landed.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { ApiPromise, WsProvider, Keyring } from '@polkadot/api';
import { cryptoWaitReady, blake2AsU8a } from '@polkadot/util-crypto';
import { binary, freePort, withTimeout } from '../harness.mjs';

const args = process.argv.slice(2);
const flag = (name) => args.includes(name);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const smoke = flag('--smoke');
const senders = Number(opt('--senders', smoke ? 200 : 20_000));
const jsonOut = opt('--json', null);
const SUBMITTERS = 8;

function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

/** Waits for the node's RPC port (while `alive()`), then connects a provider. */
async function connect(port, alive = () => true) {
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

async function main() {
  await cryptoWaitReady();
  const rpcPort = await freePort();
  const p2pPort = await freePort();
  // Load settings (also in the README): a pool that holds every transfer, enough RPC
  // connections and a large enough request/response size for the submitters.
  const nodeArgs = [
    '--chain', 'bench', '--alice', '--validator', '--tmp', '--rpc-port', String(rpcPort),
    '--node-key', '0000000000000000000000000000000000000000000000000000000000000001',
    '--port', String(p2pPort), '--no-mdns', '--no-telemetry', '--no-prometheus',
    '--pool-limit', String(Math.max(senders + 1_000, 8_192)), '--pool-kbytes', '204800',
    '--rpc-max-connections', '1000', '--rpc-max-subscriptions-per-connection', '100000',
    '--rpc-max-request-size', '64', '--rpc-max-response-size', '64',
    '--database', 'paritydb', '--offchain-worker', 'never',
  ];
  const t0 = Date.now();
  const node = spawn(binary('uranus-node'), nodeArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  const logs = [];
  node.stderr.on('data', (d) => { logs.push(d.toString()); if (logs.length > 100) logs.shift(); });
  const exited = new Promise((resolve) => node.on('exit', (code) => resolve(code)));
  let api;
  try {
    const provider = await connect(rpcPort, () => node.exitCode === null)
      .catch((e) => { throw new Error(`${e.message}\n${logs.join('')}`); });
    api = await ApiPromise.create({ provider });
    console.log(`bench chain up after ${((Date.now() - t0) / 1000).toFixed(1)} s (genesis with the senders)`);

    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
    const ed = api.consts.balances.existentialDeposit.toBigInt();
    const maxNormal = api.consts.system.blockWeights.perClass.normal.maxTotal.unwrap().refTime.toBigInt();
    const genesis = api.genesisHash;
    const runtime = api.runtimeVersion;
    const signed = [];
    const ts = Date.now();
    for (let i = 0; i < senders; i++) {
      const from = keyring.addFromUri(`//Sender//${i}`);
      const to = blake2AsU8a(new TextEncoder().encode(`uranus-stps-receiver-${i}`));
      const tx = api.tx.balances.transferKeepAlive(to, ed);
      signed.push(tx.sign(from, { nonce: 0, era: 0, blockHash: genesis, genesisHash: genesis, runtimeVersion: runtime }).toHex());
    }
    console.log(`signed ${senders} transfers in ${((Date.now() - ts) / 1000).toFixed(1)} s`);

    const startBlock = (await api.rpc.chain.getHeader()).number.toNumber();
    // Submitters on their own connections, each pushing its share as fast as it is accepted.
    const providers = await Promise.all(Array.from({ length: SUBMITTERS }, () => connect(rpcPort)));
    const tSubmit = Date.now();
    let rejected = 0;
    await Promise.all(providers.map(async (p, k) => {
      const mine = signed.filter((_, i) => i % SUBMITTERS === k);
      const inflight = new Set();
      for (const hex of mine) {
        const pr = p.send('author_submitExtrinsic', [hex]).catch((e) => {
          rejected++;
          if (rejected <= 3) console.error(`rejected: ${e.message}`);
        }).finally(() => inflight.delete(pr));
        inflight.add(pr);
        if (inflight.size >= 256) await Promise.race(inflight);
      }
      await Promise.all(inflight);
    }));
    console.log(`submitted ${senders - rejected} in ${((Date.now() - tSubmit) / 1000).toFixed(1)} s (${rejected} rejected)`);
    await Promise.all(providers.map((p) => p.disconnect()));

    // Scan blocks until every accepted transfer is counted.
    const blocks = [];
    let counted = 0;
    let n = startBlock + 1;
    const deadline = Date.now() + 20 * 60_000;
    while (counted < senders - rejected && Date.now() < deadline) {
      const best = (await api.rpc.chain.getHeader()).number.toNumber();
      if (n > best) { await new Promise((r) => setTimeout(r, 500)); continue; }
      const hash = await api.rpc.chain.getBlockHash(n);
      const at = await api.at(hash);
      const [events, weight, now] = await Promise.all([at.query.system.events(), at.query.system.blockWeight(), at.query.timestamp.now()]);
      const transfers = events.filter((e) => api.events.balances.Transfer.is(e.event) && e.phase.isApplyExtrinsic).length;
      const normal = weight.normal.refTime.toBigInt();
      blocks.push({ number: n, transfers, fullness: Number(normal * 10_000n / maxNormal) / 100, timestamp: now.toNumber() });
      counted += transfers;
      n++;
    }
    // TPS of a block: its transfers over the time since the previous block.
    const prevTs = async (num) => (await (await api.at(await api.rpc.chain.getBlockHash(num))).query.timestamp.now()).toNumber();
    let previous = await prevTs(startBlock);
    for (const b of blocks) {
      b.seconds = (b.timestamp - previous) / 1000;
      b.tps = b.seconds > 0 ? b.transfers / b.seconds : 0;
      previous = b.timestamp;
    }
    const loaded = blocks.filter((b) => b.transfers > 0);
    const first = blocks.findIndex((b) => b.transfers > 0);
    const last = blocks.length - 1 - [...blocks].reverse().findIndex((b) => b.transfers > 0);
    const span = loaded.length ? (blocks[last].timestamp - (first > 0 ? blocks[first - 1].timestamp : await prevTs(startBlock))) / 1000 : 0;
    const sustained = span > 0 ? counted / span : 0;
    const peak = loaded.reduce((m, b) => Math.max(m, b.tps), 0);
    const full = loaded.filter((b) => b.fullness >= 90);
    const avgFull = full.length ? full.reduce((s, b) => s + b.fullness, 0) / full.length : 0;
    const maxPerBlock = loaded.reduce((m, b) => Math.max(m, b.transfers), 0);
    for (const b of loaded) {
      console.log(`block #${b.number}: ${b.transfers} transfers, ${b.fullness.toFixed(2)} % of normal weight, ${b.seconds.toFixed(1)} s, ${b.tps.toFixed(0)} TPS`);
    }
    const summary = {
      senders, accepted: senders - rejected, counted, blocks: loaded.length, maxPerBlock,
      peakTps: Math.round(peak), sustainedTps: Math.round(sustained), fullBlocks: full.length,
      avgFullnessOfFullBlocks: Number(avgFull.toFixed(2)), spanSeconds: span,
    };
    console.log(`stps: ${counted}/${senders} transfers in ${loaded.length} blocks, max ${maxPerBlock}/block; `
      + `peak ${summary.peakTps} TPS, sustained ${summary.sustainedTps} TPS over ${span.toFixed(1)} s; `
      + `${full.length} blocks ≥ 90 % full (avg ${avgFull.toFixed(2)} %)`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary, blocks }, null, 2));
    if (counted !== senders) throw new Error(`only ${counted} of ${senders} transfers landed`);
  } finally {
    if (api) await api.disconnect().catch(() => {});
    node.kill('SIGINT');
    await withTimeout(exited, 60_000, 'node shutdown').catch(() => node.kill('SIGKILL'));
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`stps failed: ${e.stack || e}`);
  process.exit(1);
});
