// Verified hardware without a committee (issue #24), end to end: two providers, each a real
// node whose off-chain worker drives its own real `uranus-agent` on this host. The chain
// selects Dave's machine (registered first) for a hardware challenge verified by Eve's
// machine; Dave's agent runs the seeded scrypt lanes for the machine's measured profile, his
// worker commits and reveals; Eve's agent recomputes the picked lane, her worker seals and
// reveals the verdict; the machine passes and is verified. Prints the challenge's duration
// and the verifier's cost as a fraction of it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor } from './harness.mjs';
import { startChain, becomeProvider, multiaddrOf } from './compute.mjs';

/** The attestation events of every new block, as they come. */
function watchAttest(api) {
  const seen = [];
  const unsub = api.rpc.chain.subscribeNewHeads(async (header) => {
    const events = await (await api.at(header.hash)).query.system.events();
    for (const { event } of events) {
      if (event.section === 'attest') {
        // Field names from the metadata (`id`, `machine`, `outcome`, …).
        const data = Object.fromEntries(event.meta.fields.map((f, i) => [f.name.unwrap().toString(), event.data[i].toJSON()]));
        seen.push({ block: header.number.toNumber(), method: event.method, data });
        console.log(`attest: #${header.number.toNumber()} ${event.method} ${JSON.stringify(data)}`);
      }
    }
  });
  return { seen, stop: async () => (await unsub)() };
}

test('a machine proves its profile to another provider\'s machine and becomes verified', { timeout: 900_000 }, async () => {
  const dave = await startChain({ name: 'dave' });
  let eve;
  let watch;
  try {
    const { api, rpc } = dave;
    watch = watchAttest(api);
    const daveMachine = await becomeProvider(dave, '//Dave');
    eve = await startChain({ join: await multiaddrOf(dave), name: 'eve' });
    const eveMachine = await becomeProvider(eve, '//Eve');
    console.log(`attest: Dave's machine ${daveMachine.id}, Eve's ${eveMachine.id}: `
      + `${daveMachine.logicalCores} cores, ${(daveMachine.memoryBytes / 2 ** 30).toFixed(1)} GiB each`);

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
    console.log(`attest: challenge ${run.lanes.length} lanes (log_n ${run.spec.log_n}, r ${run.spec.r}) in ${run.elapsed_ms} ms, `
      + `${run.parallel} at a time; verifier ${verifyMs} ms = ${(100 * verifyMs / run.elapsed_ms).toFixed(0)} % of it; `
      + `blocks: started #${started.block}, committed #${byMethod('Committed')[0].block}, ended #${ended.block}`);
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
