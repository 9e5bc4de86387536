// Verified hardware without a committee (issue #24), end to end: two providers, each a real
// node whose off-chain worker drives its own real `uranus-agent` on this host.
//
// Dave is honest: his machine claims what the agent measured. Eve lies: her worker talks to
// her agent through a proxy that doubles the cores and memory the agent reports, so her
// machine claims twice this host's cores and memory (the real agent then runs the challenge
// of that claim, as a cheating provider's host would have to).
//
// The chain selects Dave's machine (registered first) for a challenge verified by Eve's;
// Dave's agent runs the seeded lanes (compute rounds, then scrypt over 3/4 of the claimed
// memory), his worker commits and reveals; Eve's agent recomputes the picked lane, her worker
// seals and reveals the verdict; the machine passes and is verified. Then Eve's machine is
// challenged, verified by Dave's: it cannot finish by the deadline (twice the lanes on the
// same cores), so it fails late, stays unverified and Eve loses 10 % of her deposit.
// Prints each challenge's duration and the verifier's cost as a fraction of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.mjs';
import { startChain, becomeProvider, multiaddrOf } from './compute.mjs';

/** Whether an event is one this test follows. */
const followed = (event) => event.section === 'attest'
  || (event.section === 'registry' && event.method === 'ProviderSlashed');

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

    const byMethod = (m) => watch.seen.filter((e) => e.method === m && (e.data.id === ended.data.id));
    const started = watch.seen.find((e) => e.method === 'ChallengeStarted' && e.data.machine === daveMachine.id);
    assert.ok(started, 'the challenge started');
    assert.deepEqual(started.data.verifiers, [eveMachine.id], 'Eve\'s machine verifies');
    for (const m of ['Committed', 'LanesPicked', 'LanesRevealed', 'VerdictSealed', 'VerdictRevealed', 'VerifierPaid']) {
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
      + `${(100 * verifyMs / run.elapsed_ms).toFixed(0)} % of it; blocks: started #${started.block}, `
      + `committed #${byMethod('Committed')[0].block} (deadline #${started.data.commit_by}), ended #${ended.block}`);

    // Eve's machine: twice the lanes of Dave's, as large, on the same two cores.
    const eveAccount = eve.keyring.addFromUri('//Eve').address;
    const reservedBefore = (await api.query.system.account(eveAccount)).data.reserved.toBigInt();
    const failed = await waitFor(async () => watch.seen.find((e) => e.method === 'ChallengeEnded'
      && e.data.machine === eveMachine.id), 600_000, 'the challenge of Eve\'s machine ends', 2_000);
    const eveStarted = watch.seen.find((e) => e.method === 'ChallengeStarted' && e.data.machine === eveMachine.id);
    assert.deepEqual(eveStarted.data.verifiers, [daveMachine.id], 'Dave\'s machine verifies');
    assert.equal(eveStarted.data.lanes, 2 * started.data.lanes, 'one lane per claimed core');
    assert.match(JSON.stringify(failed.data.outcome), /failed.*late/i, `outcome: ${JSON.stringify(failed.data.outcome)}`);
    assert.ok(!watch.seen.some((e) => e.method === 'Committed' && e.data.id === failed.data.id), 'no commitment in time');
    assert.ok((await api.query.registry.verifiedMachines(eveMachine.id)).isNone, 'Eve\'s machine is not verified');
    const slashed = watch.seen.find((e) => e.method === 'ProviderSlashed' && e.data.who === eveAccount);
    assert.ok(slashed, 'Eve was slashed');
    const reservedAfter = (await api.query.system.account(eveAccount)).data.reserved.toBigInt();
    assert.equal(reservedBefore - reservedAfter, BigInt(slashed.data.amount), 'the slash came from her deposit');
    const lying = (await eve.agent.call('GET', '/v1/challenges/current')).body;
    console.log(`attest: over-claim challenge ${lying.spec.lanes} lanes (${lying.spec.rounds} rounds, log_n `
      + `${lying.spec.log_n}, r ${lying.spec.r}), ${lying.parallel} at a time, still ${lying.state} after `
      + `${lying.elapsed_ms} ms; deadline ${eveStarted.data.commit_by - eveStarted.block} blocks after the start `
      + `(#${eveStarted.block} → #${eveStarted.data.commit_by}), ended #${failed.block}; Eve lost ${slashed.data.amount} `
      + `(to ${slashed.data.to})`);
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
