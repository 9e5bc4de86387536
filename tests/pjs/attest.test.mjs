// Verified hardware without a committee (issue #24), end to end: two providers, each a real
// node whose off-chain worker drives its own real `uranus-agent` on this host.
//
// Dave is honest: his machine claims what the agent measured. Eve lies: her worker talks to
// her agent through a proxy that doubles the cores and memory the agent reports, so her
// machine claims twice this host's cores and memory (the real agent then runs the challenge
// of that claim, as a cheating provider's host would have to).
//
// The chain selects Dave's machine (registered first) for a challenge verified by Eve's;
// Dave's agent runs the probe (one lane alone: compute rounds, then scrypt over its share of
// 3/4 of the claimed memory) and his worker reports it; the chain draws the lanes' seed and
// gives them the probe's time and half again; Dave's agent runs the lanes side by side, his
// worker commits and reveals; Eve's agent recomputes the picked lane, her worker seals and
// reveals the verdict; the machine passes and is verified. Then Eve's machine is challenged,
// verified by Dave's: its lanes side by side take twice its probe (twice the lanes on the
// same cores), on any CPU, so it fails late, stays unverified and Eve loses 10 % of her
// deposit. Prints each challenge's probe and lanes in blocks, and the verifier's cost.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.mjs';
import { startChain, becomeProvider, multiaddrOf } from './compute.mjs';

/** Whether an event is one this test follows. */
const followed = (event) => event.section === 'attest'
  || (event.section === 'registry' && event.method === 'ProviderSlashed');

/** A challenge's probe and lanes in blocks, from its events (`of(method)` lists them). */
function timeline(started, of) {
  const probed = of('Probed')[0];
  const seeded = of('LanesSeeded')[0];
  const committed = of('Committed')[0];
  const probe = probed ? probed.block - started.block : undefined;
  return `started #${started.block}, probe ${probe} blocks (#${probed?.block}, deadline #${started.data.probe_by}), `
    + `lanes seeded #${seeded?.block} with a deadline of ${seeded ? seeded.data.commit_by - seeded.block : '?'} blocks `
    + `(#${seeded?.data.commit_by}), committed ${committed ? `#${committed.block}, ${committed.block - seeded.block} blocks` : 'never'}`;
}

/** The attestation events of every new block, as they come. */
function watchAttest(api) {
  const seen = [];
  const unsub = api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (followed(event)) {
        // Field names from the metadata (`id`, `machine`, `outcome`, …).
        const data = Object.fromEntries(event.meta.fields.map((f, i) => [f.name.unwrap().toString(), event.data[i].toJSON()]));
        seen.push({ block: header.number.toNumber(), method: event.method, data });
        console.log(`attest: #${header.number.toNumber()} ${event.section}.${event.method} ${JSON.stringify(data)}`);
      }
    }
  });
  return { seen, stop: async () => (await unsub)() };
}

test('an honest machine proves its profile and becomes verified; one claiming twice its hardware fails and is slashed', { timeout: 1_500_000 }, async () => {
  const dave = await startChain({ name: 'dave' });
  let eve;
  let watch;
  try {
    const { api, rpc } = dave;
    watch = watchAttest(api);
    const daveMachine = await becomeProvider(dave, '//Dave');
    eve = await startChain({ join: await multiaddrOf(dave), name: 'eve', overclaim: 2 });
    const eveMachine = await becomeProvider(eve, '//Eve');
    const gib = (m) => `${m.logicalCores} cores, ${(m.memoryBytes / 2 ** 30).toFixed(1)} GiB`;
    console.log(`attest: Dave's machine ${daveMachine.id} claims ${gib(daveMachine)}, `
      + `Eve's ${eveMachine.id} claims ${gib(eveMachine)}`);
    assert.equal(eveMachine.logicalCores, 2 * daveMachine.logicalCores, 'Eve claims twice the cores');
    assert.equal(eveMachine.memoryBytes, 2 * daveMachine.memoryBytes, 'and twice the memory');

    const ended = await waitFor(async () => watch.seen.find((e) => e.method === 'ChallengeEnded'
      && e.data.machine === daveMachine.id), 600_000, 'the challenge of Dave\'s machine ends', 2_000);
    assert.match(JSON.stringify(ended.data.outcome), /passed/i, `outcome: ${JSON.stringify(ended.data.outcome)}`);
    const verified = await api.query.registry.verifiedMachines(daveMachine.id);
    assert.ok(verified.isSome, 'Dave\'s machine is verified');
    // Scored at the speed its lanes showed side by side, not the frequency it claims.
    const measured = watch.seen.find((e) => e.method === 'SpeedMeasured' && e.data.machine === daveMachine.id);
    assert.ok(measured, 'its speed was measured');
    assert.equal((await api.query.registry.verifiedCpuMhz(daveMachine.id)).unwrap().toNumber(), measured.data.cpu_mhz);
    console.log(`attest: Dave's ${measured.data.lanes} lanes took ${measured.data.blocks} blocks side by side: `
      + `scored at ${measured.data.cpu_mhz} MHz per core (it claims ${daveMachine.cpuMhz})`);

    const byMethod = (m) => watch.seen.filter((e) => e.method === m && (e.data.id === ended.data.id));
    const started = watch.seen.find((e) => e.method === 'ChallengeStarted' && e.data.machine === daveMachine.id);
    assert.ok(started, 'the challenge started');
    assert.deepEqual(started.data.verifiers, [eveMachine.id], 'Eve\'s machine verifies');
    for (const m of ['Probed', 'LanesSeeded', 'Committed', 'LanesPicked', 'LanesRevealed', 'VerdictSealed', 'VerdictRevealed', 'VerifierPaid']) {
      assert.equal(byMethod(m).length, 1, `one ${m}`);
    }
    assert.match(JSON.stringify(byMethod('VerdictRevealed')[0].data.verdict), /valid/i);
    assert.doesNotMatch(JSON.stringify(byMethod('VerdictRevealed')[0].data.verdict), /invalid/i);

    // What it cost: the agent's own run, and the verifier's recomputation (from Eve's worker log).
    const run = (await dave.agent.call('GET', '/v1/challenges/current')).body;
    assert.equal(run.state, 'done');
    const verifiedLine = eve.logs().split('\n').find((l) => /challenge \d+: verified picks/.test(l)) || '';
    const verifyMs = Number((verifiedLine.match(/in (\d+) ms/) || [])[1]);
    console.log(`attest: honest challenge ${run.lanes.length} lanes (${run.spec.rounds} rounds, log_n ${run.spec.log_n}, `
      + `r ${run.spec.r}) in ${run.elapsed_ms} ms, ${run.parallel} at a time; verifier ${verifyMs} ms = `
      + `${(100 * verifyMs / run.elapsed_ms).toFixed(0)} % of it; blocks: ${timeline(started, byMethod)}, ended #${ended.block}`);

    // Eve's machine: twice the lanes of Dave's, as large, on the same two cores.
    const eveAccount = eve.keyring.addFromUri('//Eve').address;
    const reservedBefore = (await api.query.system.account(eveAccount)).data.reserved.toBigInt();
    const failed = await waitFor(async () => watch.seen.find((e) => e.method === 'ChallengeEnded'
      && e.data.machine === eveMachine.id), 600_000, 'the challenge of Eve\'s machine ends', 2_000);
    const eveStarted = watch.seen.find((e) => e.method === 'ChallengeStarted' && e.data.machine === eveMachine.id);
    assert.deepEqual(eveStarted.data.verifiers, [daveMachine.id], 'Dave\'s machine verifies');
    assert.equal(eveStarted.data.lanes, 2 * started.data.lanes, 'one lane per claimed core');
    assert.match(JSON.stringify(failed.data.outcome), /failed.*late/i, `outcome: ${JSON.stringify(failed.data.outcome)}`);
    const eveEvents = (m) => watch.seen.filter((e) => e.method === m && e.data.id === failed.data.id);
    assert.equal(eveEvents('Probed').length, 1, 'Eve\'s machine ran its probe');
    assert.equal(eveEvents('LanesSeeded').length, 1, 'and got its lanes');
    assert.ok(!eveEvents('Committed').length, 'no commitment in time');
    assert.ok((await api.query.registry.verifiedMachines(eveMachine.id)).isNone, 'Eve\'s machine is not verified');
    assert.ok((await api.query.registry.verifiedCpuMhz(eveMachine.id)).isNone, 'nor measured');
    const slashed = watch.seen.find((e) => e.method === 'ProviderSlashed' && e.data.who === eveAccount);
    assert.ok(slashed, 'Eve was slashed');
    const reservedAfter = (await api.query.system.account(eveAccount)).data.reserved.toBigInt();
    assert.equal(reservedBefore - reservedAfter, BigInt(slashed.data.amount), 'the slash came from her deposit');
    const lying = (await eve.agent.call('GET', '/v1/challenges/current')).body;
    console.log(`attest: over-claim challenge ${lying.spec.lanes} lanes (${lying.spec.rounds} rounds, log_n `
      + `${lying.spec.log_n}, r ${lying.spec.r}), ${lying.parallel} at a time, still ${lying.state} after `
      + `${lying.elapsed_ms} ms; blocks: ${timeline(eveStarted, eveEvents)}, ended #${failed.block}; `
      + `Eve lost ${slashed.data.amount} (to ${slashed.data.to})`);
  } finally {
    if (watch) await watch.stop().catch(() => {});
    if (eve) {
      await eve.stop();
      await eve.agent.stop();
    }
    await dave.stop();
    await dave.agent.stop();
  }
});
