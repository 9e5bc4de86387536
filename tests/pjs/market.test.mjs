// The compute market end to end, everything real: a `uranus-node --dev` whose off-chain worker
// drives a real `uranus-agent` (runc) on loopback, a loopback `docker-registry` holding a
// busybox image built with umoci, and polkadot.js as the user.
//
// Tests 1-3 share one chain (Dave's worker provides, Bob's image is verified); each waits for
// its lease to end before the next begins, so their books do not mix:
// 1. Flagship: Bob publishes the image, sudo verifies it, Eve orders a job; it really runs in a
//    container, metering reaches the chain, and at completion Dave (the provider) got exactly
//    the settled amount, Bob the image fee, the PoC pool and the treasury the protocol fee and Eve
//    the rest back.
//    Then Eve rates the lease, disputes it and sudo resolves the dispute.
// 2. Low escrow: a lease prepaid for a few blocks pauses (runc freezes the job), a top-up
//    resumes it and it completes.
// 3. The agent is SIGKILLed mid-lease and restarted: the job survives under its shim and
//    nothing is charged twice (Σ charges = the price of the final cumulative usage).
// 4. A provider that never acknowledges: after AckTimeout the lease moves to another machine.
//    Its own chain: its order must find Ferdie's silent container as the only idle one, before
//    Dave's machine exists.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startDevNode, sendTx, waitFor } from './harness.mjs';
import { startRegistry, pushBusybox, startChain, becomeProvider } from './compute.mjs';

const MIB = 1n << 20n;
const GIB = 1n << 30n;
const MICRO_URA = 1_000_000n;
/** The dev preset's base prices (runtime/src/genesis_config_presets.rs). */
const BASE = {
  cpuCoreSecond: 10n * MICRO_URA,
  memoryGibSecond: MICRO_URA,
  networkMib: 100n * MICRO_URA,
  storageGibSecond: MICRO_URA / 100n,
};
const IMAGE_FEE = 5n * MICRO_URA;
const PROTOCOL_FEE_PERCENT = 5n;

let registry;
let image;

before(() => {
  registry = null;
  return startRegistry().then((r) => {
    registry = r;
    image = pushBusybox(r.addr);
  });
});

let shared = null;

/** The chain tests 1-3 share: Dave's worker provides (`machine`), Bob's image is verified. */
async function providerChain() {
  if (!shared) {
    shared = await startChain();
    shared.machine = await becomeProvider(shared, '//Dave');
    await publishImage(shared);
  }
  return shared;
}

after(async () => {
  if (shared) {
    await shared.agent.stop();
    await shared.stop();
  }
  if (registry) registry.stop();
});

/** Bob publishes the busybox image with a fee; sudo (Alice) verifies it. */
async function publishImage(chain) {
  const { api, keyring } = chain;
  const bob = keyring.addFromUri('//Bob');
  const alice = keyring.addFromUri('//Alice');
  await sendTx(api, bob, api.tx.registry.publishImage(image.name, '1.0', image.hex, image.size,
    { cpuMillicores: 100, memoryBytes: 4n * MIB, storageBytes: 0, bandwidthBps: 0 }, IMAGE_FEE));
  await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(image.hex, true)));
}

/** Eve's order of one replica running `script` under `sh -c`. */
function orderTx(api, script, { cpu = 500, memoryMib = 64n, storageMib = 16n, prepaid = 100, caps } = {}) {
  return api.tx.market.placeOrder(
    image.hex,
    { cpuMillicores: cpu, memoryBytes: memoryMib * MIB, storageBytes: storageMib * MIB, bandwidthBps: 0 },
    ['/bin/sh', '-c', script],
    1,
    200,
    prepaid,
    caps || { cpuCoreSecond: 2n * BASE.cpuCoreSecond, memoryGibSecond: 2n * BASE.memoryGibSecond,
      networkMib: 2n * BASE.networkMib, storageGibSecond: 2n * BASE.storageGibSecond },
    [],
    false,
  );
}

/** A pallet pot's address: `modl` ++ its PalletId (e.g. `ura/mkt_`) padded with zeros. */
function potAccount(api, id) {
  const raw = new Uint8Array(32);
  raw.set(Buffer.from(`modl${id}`));
  return api.createType('AccountId', raw).toString();
}

function find(events, api, pallet, name) {
  return events.filter(({ event }) => api.events[pallet][name].is(event)).map(({ event }) => event.data);
}

/** Every event of blocks `from + 1 ..= to`, with its block number. */
async function eventsBetween(api, from, to) {
  const all = [];
  for (let n = from + 1; n <= to; n++) {
    const hash = await api.rpc.chain.getBlockHash(n);
    const evs = await (await api.at(hash)).query.system.events();
    for (const e of evs) all.push({ block: n, event: e.event, phase: e.phase });
  }
  return all;
}

/** Free + reserved of `who` at block `n`. */
async function totalAt(api, n, who) {
  const hash = await api.rpc.chain.getBlockHash(n);
  const { data } = await (await api.at(hash)).query.system.account(who);
  return data.free.toBigInt() + data.reserved.toBigInt();
}

/** The block at which `pred(event)` first holds, scanning new blocks as they come. */
async function waitEvent(api, pred, ms, what) {
  let seen = (await api.rpc.chain.getHeader()).number.toNumber() - 1;
  return waitFor(async () => {
    const best = (await api.rpc.chain.getHeader()).number.toNumber();
    for (let n = seen + 1; n <= best; n++) {
      const hash = await api.rpc.chain.getBlockHash(n);
      const evs = await (await api.at(hash)).query.system.events();
      const hit = evs.find((e) => pred(e.event));
      seen = n;
      if (hit) return { block: n, data: hit.event.data };
    }
    return null;
  }, ms, what, 1_000);
}

/** The price of cumulative `usage` at `prices` with `disk` bytes reserved (pallets/market/src/pricing.rs). */
function cost(usage, disk, prices) {
  const b = (v) => BigInt(v);
  return b(usage.cpuMicros) * b(prices.cpuCoreSecond) / 1_000_000n
    + b(usage.memoryByteSeconds) * b(prices.memoryGibSecond) / GIB
    + b(usage.netBytes) * b(prices.networkMib) / MIB
    + b(disk) * b(usage.wallMillis) * b(prices.storageGibSecond) / (GIB * 1000n);
}

test('flagship: a user orders a job, it runs in a container and everyone is paid exactly', { timeout: 600_000 }, async () => {
  const chain = await providerChain();
  {
    const { api, keyring, agent, rpc } = chain;
    const [dave, bob, eve] = ['//Dave', '//Bob', '//Eve'].map((u) => keyring.addFromUri(u));
    const { machine } = chain;

    const quote = await rpc('market_quote', [image.digest,
      { cpuMillicores: 500, memoryBytes: Number(64n * MIB), storageBytes: Number(16n * MIB), bandwidthBps: 0 },
      1, 100, { cpuCoreSecond: Number(2n * BASE.cpuCoreSecond), memoryGibSecond: Number(2n * BASE.memoryGibSecond),
        networkMib: Number(2n * BASE.networkMib), storageGibSecond: Number(2n * BASE.storageGibSecond) }]);
    assert.equal(quote.withinCaps, true);
    assert.equal(BigInt(quote.imageFee), IMAGE_FEE);
    assert.equal(BigInt(quote.prices.cpuCoreSecond), BASE.cpuCoreSecond, 'σ = 1: base prices');

    assert.deepEqual(await rpc('market_orders', [null, null, 10]), [], 'no orders yet');
    const script = 'end=$(( $(date +%s) + 15 )); while [ $(date +%s) -lt $end ]; do :; done; echo computed-on-uranus';
    const placed = await sendTx(api, eve, orderTx(api, script));
    const b0 = placed.blockNumber - 1;
    const [orderPlaced] = find(placed.events, api, 'market', 'OrderPlaced');
    assert.equal(BigInt(orderPlaced.escrow.toString()), BigInt(quote.escrow), 'escrow as quoted');
    const [assigned] = find(placed.events, api, 'market', 'LeaseAssigned');
    assert.ok(assigned, 'matched at once to the only idle container');
    const lease = assigned.lease.toNumber();
    assert.equal(assigned.container.toNumber(), machine.containers[0].id);
    assert.equal(assigned.provider.toString(), dave.address);

    const ended = await waitEvent(api, (e) => api.events.market.LeaseEnded.is(e) && e.data.lease.toNumber() === lease,
      240_000, 'the lease ends');
    assert.equal(ended.data.state.toString(), 'Completed');
    assert.equal(ended.data.exitCode.unwrap().toNumber(), 0);
    const b1 = ended.block;

    // The job really ran in a container on the agent.
    const job = await agent.job(lease);
    assert.equal(job.state, 'exited');
    assert.match(await agent.logs(lease), /computed-on-uranus/);
    const view = await rpc('market_lease', [lease]);
    assert.equal(view.state, 'completed');
    assert.equal(view.result, 'exit 0');
    const meter = (await agent.call('GET', `/v1/jobs/${lease}/metering`)).body;
    assert.equal(view.usage.seq, meter.seq, 'the final sample settled the lease');
    assert.equal(view.usage.counters.cpuMicros, meter.cpu_micros);

    // Money: scan every block between the order and the end.
    const evs = await eventsBetween(api, b0, b1);
    const charges = evs.filter((e) => api.events.market.Charged.is(e.event) && e.event.data.lease.toNumber() === lease)
      .map((e) => ({ seq: e.event.data.seq.toNumber(), amount: e.event.data.amount.toBigInt(), fee: e.event.data.fee.toBigInt() }));
    assert.ok(charges.length >= 2, `metering reached the chain during the run (${charges.length} charges)`);
    for (let i = 1; i < charges.length; i++) assert.ok(charges[i].seq > charges[i - 1].seq, 'sequences increase');
    const charged = charges.reduce((s, c) => s + c.amount, 0n);
    const fees = charges.reduce((s, c) => s + c.fee, 0n);
    assert.equal(charged, BigInt(view.usage.charged));
    assert.equal(charged, cost(view.usage.counters, 16n * MIB, view.prices), 'charged = price of the usage');
    for (const c of charges) assert.equal(c.fee, c.amount * PROTOCOL_FEE_PERCENT / 100n);
    const txFees = (who) => evs.filter((e) => api.events.transactionPayment.TransactionFeePaid.is(e.event)
      && e.event.data.who.toString() === who.address)
      .reduce((s, e) => s + e.event.data.actualFee.toBigInt() + e.event.data.tip.toBigInt(), 0n);
    const delta = async (who) => (await totalAt(api, b1, who)) - (await totalAt(api, b0, who));
    const started = evs.find((e) => api.events.market.LeaseStarted.is(e.event));
    assert.equal(started.event.data.publisherFee.toBigInt(), IMAGE_FEE);
    assert.equal(await delta(dave.address), charged - fees - txFees(dave), 'provider: charges − protocol fee − its tx fees');
    assert.equal(await delta(bob.address), IMAGE_FEE, 'publisher: the image fee');
    assert.equal(await delta(eve.address), -(charged + IMAGE_FEE + txFees(eve)),
      'user: exactly what was charged + the image fee + its transaction fee');
    // The protocol fees pass through the market pot: the PoC reward pool's share (50 % at
    // genesis) and the rest to the treasury.
    assert.equal(await delta(potAccount(api, 'ura/mkt_')), 0n, 'market pot: keeps only its ED');
    const toPool = evs.filter((e) => api.events.poc.PoolFunded.is(e.event))
      .reduce((s, e) => s + e.event.data.amount.toBigInt(), 0n);
    assert.equal(toPool, charges.reduce((s, c) => s + c.fee / 2n, 0n), 'PoC pool: half of each fee');
    assert.equal(await delta(potAccount(api, 'py/trsry')), fees - toPool, 'treasury: the rest');
    const refund = ended.data.refund.toBigInt();
    assert.equal(refund, BigInt(orderPlaced.escrow.toString()) - charged - IMAGE_FEE, 'the rest of the escrow came back');
    const { data: eveNow } = await api.query.system.account(eve.address);
    assert.equal(eveNow.reserved.toBigInt(), api.consts.market.orderDeposit.toBigInt(),
      'nothing but the order\'s storage deposit stays held (until the order is reaped)');
    console.log(`flagship: lease ${lease} on container ${assigned.container}, ${charges.length} metering charges `
      + `(seq ${charges.map((c) => c.seq).join(',')}), charged ${charged} planck, protocol fee ${fees}, `
      + `image fee ${IMAGE_FEE}, refund ${refund}, blocks ${b0}..${b1}`);

    // Rating, dispute and its resolution.
    const rated = await sendTx(api, eve, api.tx.market.rateLease(lease, 5));
    assert.equal(find(rated.events, api, 'market', 'LeaseRated').length, 1);
    await assert.rejects(sendTx(api, eve, api.tx.market.rateLease(lease, 4)), /market.AlreadyRated/);
    const disputed = await sendTx(api, eve, api.tx.market.disputeLease(lease, 1_000_000n));
    const [opened] = find(disputed.events, api, 'market', 'DisputeOpened');
    assert.equal(opened.amount.toBigInt(), 1_000_000n);
    await assert.rejects(sendTx(api, eve, api.tx.market.resolveDispute(lease, 1_000_000_000, 0)), /BadOrigin/);
    const alice = keyring.addFromUri('//Alice');
    const resolved = await sendTx(api, alice, api.tx.sudo.sudo(api.tx.market.resolveDispute(lease, 1_000_000_000, 0)));
    const [res] = find(resolved.events, api, 'market', 'DisputeResolved');
    assert.equal(res.refunded.toBigInt(), 1_000_000n);
    assert.equal((await rpc('market_lease', [lease])).dispute.state, 'resolved');
  }
});

test('a lease whose escrow runs low is paused (job frozen) and resumes after a top-up', { timeout: 600_000 }, async () => {
  const chain = await providerChain();
  {
    const { api, keyring, agent, rpc } = chain;
    const eve = keyring.addFromUri('//Eve');
    // Caps = base prices and 8 blocks prepaid: the lease pauses once fewer than 5 blocks of
    // its worst case are left, i.e. after ~3 blocks' worth of a busy half core.
    const script = 'end=$(( $(date +%s) + 30 )); while [ $(date +%s) -lt $end ]; do :; done; echo resumed-and-done';
    const placed = await sendTx(api, eve, orderTx(api, script, { memoryMib: 16n, prepaid: 8, caps: BASE }));
    const assigned = find(placed.events, api, 'market', 'LeaseAssigned')[0];
    const lease = assigned.lease.toNumber();
    const order = assigned.order.toNumber();
    const paused = await waitEvent(api, (e) => api.events.market.LeasePaused.is(e) && e.data.lease.toNumber() === lease,
      180_000, 'the lease pauses');
    await waitFor(async () => (await agent.job(lease))?.state === 'paused', 60_000, 'the agent froze the job');
    assert.equal(agent.runcStatus(lease), 'paused');
    // A sample taken before the freeze may still be the latest: let the sampler (500 ms) catch up.
    await new Promise((r) => setTimeout(r, 2_000));
    const m1 = (await agent.call('GET', `/v1/jobs/${lease}/metering`)).body;
    await new Promise((r) => setTimeout(r, 3_000));
    const m2 = (await agent.call('GET', `/v1/jobs/${lease}/metering`)).body;
    assert.ok(m2.seq > m1.seq, 'sampling goes on while frozen');
    assert.ok(m2.cpu_micros - m1.cpu_micros < 50_000,
      `a frozen job burns no CPU: ${m1.cpu_micros} → ${m2.cpu_micros} µs`);
    const v = await rpc('market_lease', [lease]);
    assert.equal(v.state, 'paused');
    assert.ok(BigInt(v.usage.left) <= BigInt(v.usage.allotment));

    const topped = await sendTx(api, eve, api.tx.market.topUp(order, 100));
    assert.equal(find(topped.events, api, 'market', 'LeaseResumed').length, 1);
    assert.equal((await rpc('market_order', [order])).prepaidBlocks, 108);
    await waitFor(async () => ['running', 'exited'].includes((await agent.job(lease))?.state), 60_000, 'the agent thawed the job');
    const ended = await waitEvent(api, (e) => api.events.market.LeaseEnded.is(e) && e.data.lease.toNumber() === lease,
      240_000, 'the lease completes');
    assert.equal(ended.data.state.toString(), 'Completed');
    assert.match(await agent.logs(lease), /resumed-and-done/);
    console.log(`pause: lease ${lease} paused at block ${paused.block} with ${paused.data.left} planck left, `
      + `topped up at ${topped.blockNumber}, completed at ${ended.block}`);
  }
});

test('the agent is killed mid-lease and restarted: the job survives and nothing is charged twice', { timeout: 600_000 }, async () => {
  const chain = await providerChain();
  {
    const { api, keyring, agent, rpc } = chain;
    const eve = keyring.addFromUri('//Eve');
    const script = 'end=$(( $(date +%s) + 40 )); while [ $(date +%s) -lt $end ]; do :; done; echo survived';
    const placed = await sendTx(api, eve, orderTx(api, script));
    const b0 = placed.blockNumber - 1;
    const lease = find(placed.events, api, 'market', 'LeaseAssigned')[0].lease.toNumber();
    await waitEvent(api, (e) => api.events.market.Charged.is(e) && e.data.lease.toNumber() === lease,
      180_000, 'a first charge');

    const beforeKill = (await agent.call('GET', `/v1/jobs/${lease}/metering`)).body;
    await agent.kill();
    const killedAt = (await api.rpc.chain.getHeader()).number.toNumber();
    assert.equal(agent.runcStatus(lease), 'running', 'the container runs on under its shim');
    await new Promise((r) => setTimeout(r, 7_000));
    await agent.start();
    console.log(`agent killed at block ${killedAt}, restarted at block ${(await api.rpc.chain.getHeader()).number}`);

    const ended = await waitEvent(api, (e) => api.events.market.LeaseEnded.is(e) && e.data.lease.toNumber() === lease,
      300_000, 'the lease ends');
    assert.equal(ended.data.state.toString(), 'Completed');
    assert.equal(ended.data.exitCode.unwrap().toNumber(), 0);
    assert.match(await agent.logs(lease), /survived/);
    const view = await rpc('market_lease', [lease]);
    const evs = await eventsBetween(api, b0, ended.block);
    const charges = evs.filter((e) => api.events.market.Charged.is(e.event) && e.event.data.lease.toNumber() === lease)
      .map((e) => ({ block: e.block, seq: e.event.data.seq.toNumber(), amount: e.event.data.amount.toBigInt() }));
    for (let i = 1; i < charges.length; i++) assert.ok(charges[i].seq > charges[i - 1].seq, 'no sample charged twice');
    assert.ok(charges.some((c) => c.block <= killedAt) && charges.some((c) => c.block > killedAt),
      `charged before the kill (block ${killedAt}) and after the restart: ${JSON.stringify(charges, (k, v) => (typeof v === 'bigint' ? `${v}` : v))}`);
    const charged = charges.reduce((s, c) => s + c.amount, 0n);
    assert.equal(charged, BigInt(view.usage.charged));
    assert.equal(charged, cost(view.usage.counters, 16n * MIB, view.prices),
      'Σ charges = the price of the final cumulative usage: nothing twice, nothing lost');
    const meter = (await agent.call('GET', `/v1/jobs/${lease}/metering`)).body;
    assert.equal(view.usage.seq, meter.seq);
    // The job's CPU was metered across the restart: the cumulative counter went on from where
    // it stood at the kill (how much CPU a 0.5-core job gets on a loaded host varies; whether
    // the count survived the restart does not).
    assert.ok(meter.seq > beforeKill.seq && meter.cpu_micros > beforeKill.cpu_micros,
      `cpu ${beforeKill.cpu_micros} µs (seq ${beforeKill.seq}) at the kill, ${meter.cpu_micros} µs (seq ${meter.seq}) at the end`);
    console.log(`kill/restart: ${charges.length} charges (seq ${charges.map((c) => c.seq).join(',')}), `
      + `${charged} planck for ${meter.cpu_micros} µs CPU over ${meter.wall_millis} ms`);
  }
});

test('a provider that never acknowledges loses the lease to another machine', { timeout: 600_000 }, async () => {
  const chain = await startChain();
  try {
    const { api, keyring, rpc } = chain;
    const [eve, ferdie] = ['//Eve', '//Ferdie'].map((u) => keyring.addFromUri(u));
    await publishImage(chain);
    // Ferdie registers a machine by hand and runs no worker: he never acknowledges.
    await sendTx(api, ferdie, api.tx.registry.registerProvider({ name: 'silent', region: 'nowhere', labels: [] }));
    const reg = await sendTx(api, ferdie, api.tx.registry.registerMachine({
      cpuModel: 'idle', arch: 'x86_64', logicalCores: 4, cpuMhz: 2000, memoryBytes: 8n * GIB,
      storageBytes: 100n * GIB, uplinkBps: 10n * MIB,
    }));
    const machine = find(reg.events, api, 'registry', 'MachineRegistered')[0].id.toNumber();
    await sendTx(api, ferdie, api.tx.registry.addContainer(machine,
      { cpuMillicores: 4000, memoryBytes: 8n * GIB, storageBytes: 100n * GIB, bandwidthBps: 10n * MIB }));

    const script = 'echo moved-and-ran';
    const placed = await sendTx(api, eve, orderTx(api, script));
    const first = find(placed.events, api, 'market', 'LeaseAssigned')[0];
    assert.equal(first.provider.toString(), ferdie.address, 'the only idle container is Ferdie\'s');
    const lease = first.lease.toNumber();
    // Now Dave's worker brings a machine.
    await becomeProvider(chain, '//Dave');

    const moved = await waitEvent(api, (e) => api.events.market.LeaseRescheduled.is(e) && e.data.lease.toNumber() === lease,
      180_000, 'the unacknowledged lease is re-scheduled');
    const failed = await rpc('market_lease', [lease]);
    assert.equal(failed.state, 'failed');
    assert.ok(moved.block >= failed.ackBy, `re-scheduled at ${moved.block}, ack was due by ${failed.ackBy}`);
    const again = await waitFor(async () => {
      const ls = await rpc('market_leases', [first.order.toNumber(), null, null, 10]);
      return ls.find((l) => l.id !== lease);
    }, 120_000, 'a new lease for the replica');
    assert.equal(again.provider, keyring.addFromUri('//Dave').address);
    const done = await waitEvent(api, (e) => api.events.market.LeaseEnded.is(e) && e.data.lease.toNumber() === again.id,
      180_000, 'the moved lease completes');
    assert.equal(done.data.state.toString(), 'Completed');
    assert.match(await chain.agent.logs(again.id), /moved-and-ran/);
    // PoC recorded the failure against Ferdie's container.
    const evs = await eventsBetween(api, placed.blockNumber, moved.block);
    assert.ok(evs.some((e) => api.events.poc.ServiceRecorded.is(e.event)
      && e.event.data.id.toNumber() === failed.container && e.event.data.outcome.isFailed),
    'poc.ServiceRecorded(Failed) for Ferdie\'s container');
    console.log(`never-ack: lease ${lease} on Ferdie's container ${failed.container} failed at block ${moved.block} `
      + `(ack due ${failed.ackBy}); lease ${again.id} on Dave's container ${again.container} completed at ${done.block}`);
  } finally {
    await chain.agent.stop();
    await chain.stop();
  }
});
