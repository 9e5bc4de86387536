// Metering throughput: how many `market.reportMetering` calls the chain accepts per block, from
// many active leases at once, on the `bench` chain (`load/bench-node.mjs`).
//
// Setup, all through real extrinsics: N providers (the bench senders `//Sender//i`) each
// register a provider record and a machine with two containers (spare supply, as a market has);
// Alice publishes an image that sudo verifies and places N one-replica orders (batches of 50,
// all in one block: their ack deadlines spill over the following blocks); every provider
// acknowledges its lease as soon as it is assigned, then sends a heartbeat (machines stay
// online). Load: every provider submits R metering reports (sequence 1..R, growing cumulative
// usage), all pre-signed and submitted as fast as the pool accepts them; a scanner counts
// `market.Charged` events (accepted reports) per block.
//
//   node load/metering.mjs                 2,000 leases × 4 reports (fills blocks: ≈ 4,300 fit one)
//   node load/metering.mjs --leases 500 --reports 2
//   node load/metering.mjs --smoke         20 leases × 2 reports (checks it works)
//   node load/metering.mjs --json out.json
import { writeFileSync } from 'node:fs';
import { Keyring } from '@polkadot/api';
import { blake2AsHex } from '@polkadot/util-crypto';
import { errorName, sendTx } from '../harness.mjs';
import { startBenchNode, submitAll, scanBlocks, summarize, connect } from './bench-node.mjs';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : dflt;
};
const smoke = args.includes('--smoke');
const N = Number(opt('--leases', smoke ? 20 : 2_000));
const R = Number(opt('--reports', smoke ? 2 : 4));
const jsonOut = opt('--json', null);
const GIB = 1n << 30n;
const SPEC = { cpuMillicores: 1_000, memoryBytes: GIB, storageBytes: GIB, bandwidthBps: 1n << 20n };

/** Signs `call` as `pair` with an explicit nonce (immortal, so it can wait in the pool). */
function sign(api, call, pair, nonce) {
  return call.sign(pair, {
    nonce, era: 0, blockHash: api.genesisHash, genesisHash: api.genesisHash, runtimeVersion: api.runtimeVersion,
  }).toHex();
}

/**
 * Scans blocks after `from` until `n` events `is` were seen (or 3 minutes pass); returns them
 * and the last block. Failed extrinsics are counted by error and reported if `n` is missed.
 */
async function collect(api, from, n, is, onBlock = async () => {}) {
  const seen = [];
  const failed = new Map();
  let block = from;
  const { blocks } = await scanBlocks(api, from, n, (events) => {
    const hits = events.filter((e) => is(e.event)).map((e) => e.event.data);
    seen.push(...hits);
    return hits.length;
  }, 3 * 60_000, async (events) => {
    for (const { event } of events) {
      if (!api.events.system.ExtrinsicFailed.is(event)) continue;
      const name = errorName(api, event.data.dispatchError);
      failed.set(name, (failed.get(name) ?? 0) + 1);
    }
    await onBlock(events);
  });
  if (blocks.length) block = blocks[blocks.length - 1].number;
  if (seen.length < n) {
    const errors = [...failed].map(([e, k]) => `${k} × ${e}`).join(', ') || 'none';
    throw new Error(`only ${seen.length} of ${n} events by block ${block}; failed extrinsics: ${errors}`);
  }
  return { seen, block };
}

async function main() {
  const chain = await startBenchNode({ poolLimit: N * (R + 2) + 1_000 });
  const { api } = chain;
  try {
    const keyring = new Keyring({ type: 'sr25519', ss58Format: api.registry.chainSS58 });
    const alice = keyring.addFromUri('//Alice');
    const providers = Array.from({ length: N }, (_, i) => keyring.addFromUri(`//Sender//${i}`));
    const byAddress = new Map(providers.map((p) => [p.address, p]));
    const digest = blake2AsHex('uranus-metering-bench-image');
    await sendTx(api, alice, api.tx.registry.publishImage('127.0.0.1:5000/bench', '1.0', digest, 1 << 20,
      { cpuMillicores: 100, memoryBytes: 1 << 20, storageBytes: 0, bandwidthBps: 0 }, 0));
    await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(digest, true)));

    // Every provider's transactions are pre-signed with its next nonce.
    const nonces = new Map(providers.map((p) => [p.address, 0]));
    const nextNonce = (p) => { const n = nonces.get(p.address); nonces.set(p.address, n + 1); return n; };
    const signAs = (p, call) => sign(api, call, p, nextNonce(p));

    // Providers and machines, then two containers each.
    let t = Date.now();
    let head = (await api.rpc.chain.getHeader()).number.toNumber();
    await submitAll(chain.rpcPort, providers.map((p, i) => signAs(p, api.tx.utility.batchAll([
      api.tx.registry.registerProvider({ name: `bench-${i}`, region: 'loopback', labels: [] }),
      api.tx.registry.registerMachine({ cpuModel: 'bench', arch: 'x86_64', logicalCores: 8, cpuMhz: 3000,
        memoryBytes: 16n * GIB, storageBytes: 100n * GIB, uplinkBps: 100n << 20n }),
    ]))));
    const machines = await collect(api, head, N, (e) => api.events.registry.MachineRegistered.is(e));
    const machineOf = new Map(machines.seen.map((d) => [d.owner.toString(), d.id.toNumber()]));
    await submitAll(chain.rpcPort, providers.map((p) => {
      const add = api.tx.registry.addContainer(machineOf.get(p.address), SPEC);
      return signAs(p, api.tx.utility.batchAll([add, add]));
    }));
    const containers = await collect(api, machines.block, 2 * N, (e) => api.events.registry.ContainerAdded.is(e));
    console.log(`${N} providers with a machine and 2 containers each in ${((Date.now() - t) / 1000).toFixed(1)} s (blocks ${head + 1}..${containers.block})`);

    // Orders; every lease is acknowledged by its provider as soon as it is assigned.
    t = Date.now();
    // Caps at 4 × the base prices (σ moves the current prices around them).
    const base = (await api.query.market.basePrices()).toJSON();
    const caps = Object.fromEntries(Object.entries(base).map(([k, v]) => [k, 4n * BigInt(v)]));
    const order = api.tx.market.placeOrder(digest, SPEC, [], 1, 1_000, 1_000, caps, [], false);
    let nonce = (await api.rpc.system.accountNextIndex(alice.address)).toNumber();
    const batches = [];
    for (let i = 0; i < N; i += 50) batches.push(sign(api, api.tx.utility.batchAll(Array(Math.min(50, N - i)).fill(order)), alice, nonce++));
    head = (await api.rpc.chain.getHeader()).number.toNumber();
    await submitAll(chain.rpcPort, batches, 1);
    const ackSocket = await connect(chain.rpcPort);
    const leases = []; // { lease, p }: a provider may serve two
    const acks = [];
    const assigned = await collect(api, head, N, (e) => api.events.market.LeaseAssigned.is(e), async (events) => {
      for (const { event } of events) {
        if (!api.events.market.LeaseAssigned.is(event)) continue;
        const p = byAddress.get(event.data.provider.toString());
        const lease = event.data.lease.toNumber();
        leases.push({ lease, p });
        acks.push(ackSocket.send('author_submitExtrinsic', [signAs(p, api.tx.market.ackLease(lease))]));
      }
    });
    await Promise.all(acks);
    await ackSocket.disconnect();
    const started = await collect(api, head, N, (e) => api.events.market.LeaseStarted.is(e));
    const ackBy = new Set((await api.query.market.leases.multi(leases.map((l) => l.lease))).map((l) => l.unwrap().ackBy.toNumber()));
    console.log(`${N} leases assigned by block ${assigned.block} (ack deadlines over ${ackBy.size} blocks) and running by block ${started.block} `
      + `(${((Date.now() - t) / 1000).toFixed(1)} s)`);

    // Heartbeats (due once MinHeartbeatInterval passed since registration) keep the machines
    // online through the load; they are included before the reports are sent.
    const interval = api.consts.registry.minHeartbeatInterval.toNumber();
    while ((await api.rpc.chain.getHeader()).number.toNumber() < machines.block + interval) await new Promise((r) => setTimeout(r, 500));
    head = (await api.rpc.chain.getHeader()).number.toNumber();
    const beats = providers;
    await submitAll(chain.rpcPort, beats.map((p) => signAs(p, api.tx.registry.heartbeat(machineOf.get(p.address)))));
    for (let done = false; !done;) {
      await new Promise((r) => setTimeout(r, 1_000));
      const accounts = await api.query.system.account.multi(beats.map((p) => p.address));
      done = accounts.every((a, i) => a.nonce.toNumber() === nonces.get(beats[i].address));
    }
    console.log(`${beats.length} heartbeats included (from block ${head + 1})`);

    // The load: R reports per lease.
    const reports = [];
    for (let k = 1; k <= R; k++) {
      for (const { lease, p } of leases) {
        const usage = { cpuMicros: k * 3_000_000, memoryByteSeconds: BigInt(k) * 3n * GIB, netBytes: k << 20, wallMillis: k * 3_000 };
        reports.push(signAs(p, api.tx.market.reportMetering(lease, k, usage)));
      }
    }
    head = (await api.rpc.chain.getHeader()).number.toNumber();
    t = Date.now();
    const rejected = await submitAll(chain.rpcPort, reports);
    console.log(`submitted ${reports.length - rejected} reports in ${((Date.now() - t) / 1000).toFixed(1)} s (${rejected} rejected)`);
    const charged = (events) => events.filter((e) => api.events.market.Charged.is(e.event)).length;
    const { blocks, startTimestamp } = await scanBlocks(api, head, reports.length - rejected, charged);
    for (const b of blocks.filter((x) => x.hits > 0)) {
      console.log(`block #${b.number}: ${b.hits} reports accepted, ${b.fullness.toFixed(2)} % of normal weight, ${b.seconds.toFixed(1)} s`);
    }
    const s = summarize(blocks, startTimestamp);
    console.log(`metering: ${s.total}/${reports.length} reports from ${N} leases in ${s.blocks} blocks, max ${s.maxPerBlock}/block `
      + `(${s.maxFullness.toFixed(2)} % of normal weight), peak ${s.peakPerSecond}/s, sustained ${s.sustainedPerSecond}/s; `
      + `${s.fullBlocks} blocks ≥ 90 % full`);
    if (jsonOut) writeFileSync(jsonOut, JSON.stringify({ summary: { leases: N, reportsPerLease: R, rejected, ...s }, blocks }, null, 2));
    if (s.total !== reports.length) throw new Error(`only ${s.total} of ${reports.length} reports were charged`);
  } finally {
    await chain.stop();
  }
}

main().then(() => process.exit(0), (e) => {
  console.error(`metering failed: ${e.stack || e}`);
  process.exit(1);
});
