// The market in a real browser against a real dev node whose worker drives a real agent
// (runc) with images from a loopback registry: Eve places an order on the page, sees the
// cost before signing, follows the lease assigned → running → completed, and the charge the
// page shows equals the chain's to the planck. An unverified image or an order beyond the
// account's funds shows why and sends nothing. On the lease page Eve follows her job's logs
// through the provider's gateway, tops up the lease once it pauses for low escrow, downloads
// its result checked against the chain, rates it and disputes it; Ferdie sees no controls.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binary, sendTx, waitFor } from '../../tests/pjs/harness.mjs';
import { startChain, startRegistry, pushBusybox, becomeProvider } from '../../tests/pjs/compute.mjs';
import { startBrowser, openPage, shots } from './browser.mjs';

const MIB = 1n << 20n;
const PENDING = `0x${'11'.repeat(32)}`;
let registry;
let image;
let chain;
let browser;

before(async () => {
  registry = await startRegistry();
  image = pushBusybox(registry.addr);
  chain = await startChain({ name: 'console-provider', gateway: true });
  const machine = await becomeProvider(chain, '//Dave');
  const { api, keyring } = chain;
  const [alice, bob, dave] = ['//Alice', '//Bob', '//Dave'].map((u) => keyring.addFromUri(u));
  // Verified hardware: Dave's machine earns PoC rewards (claimed from the providers page).
  await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.setHardwareVerified(machine.id, true)));
  // Dave announces his gateway with its certificate's fingerprint.
  const fingerprint = execFileSync(binary('uranus-agent'), ['gateway-fingerprint', '--data-dir', chain.agent.dataDir], { encoding: 'utf8' }).trim();
  await sendTx(api, dave, api.tx.registry.setGateway({ url: `https://127.0.0.1:${chain.agent.gatewayPort}`, tlsSha256: `0x${fingerprint}` }));
  const spec = { cpuMillicores: 100, memoryBytes: 4n * MIB, storageBytes: 0, bandwidthBps: 0 };
  await sendTx(api, bob, api.tx.registry.publishImage(image.name, '1.0', image.hex, image.size, spec, 5_000_000n));
  await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(image.hex, true)));
  // Published, never reviewed: the market refuses it.
  await sendTx(api, bob, api.tx.registry.publishImage('test/unreviewed', '0.1', PENDING, 1000, spec, 0));
  // The browser trusts that one self-signed certificate (by its public key), as a user does
  // once after checking the fingerprint the page shows.
  const cert = new X509Certificate(readFileSync(join(chain.agent.dataDir, 'gateway', 'cert.pem')));
  assert.equal(cert.fingerprint256.replaceAll(':', '').toLowerCase(), fingerprint);
  const spki = createHash('sha256').update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  browser = await startBrowser({ trustSpki: [spki] });
});

after(async () => {
  await browser?.close();
  await chain?.stop();
  await chain?.agent.stop();
  registry?.stop();
});


test('an order placed on the page runs to completion and the page shows the chain\'s charge', { timeout: 600_000 }, async () => {
  const { rpc } = chain;
  const page = await openPage(browser, chain.url, 'market', 'Eve');
  await page.getByTestId('order-image').selectOption(image.digest);
  await page.getByTestId('order-script').fill('echo hello from the console; sleep 12');
  await page.getByTestId('quote').waitFor();
  const shownEscrow = await page.getByTestId('quote').getAttribute('data-escrow');
  console.log(`console: quote before signing: ${await page.getByTestId('quote').textContent()}`);
  await page.screenshot({ path: join(shots, 'market.png'), fullPage: true });
  await page.getByTestId('order-submit').click();
  const status = page.getByTestId('tx-status');
  await waitFor(async () => ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the order to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  const [order] = await rpc('market_orders', [chain.keyring.addFromUri('//Eve').address, null, 10]);
  assert.equal(BigInt(order.escrowPerReplica), BigInt(shownEscrow), 'the order escrows what the page quoted');

  const link = page.locator('[data-testid^=lease-link-]').first();
  await link.waitFor({ timeout: 60_000 });
  const lease = Number((await link.getAttribute('data-testid')).replace('lease-link-', ''));
  await link.click();
  const states = [];
  await waitFor(async () => {
    const s = (await page.getByTestId('lease-state').textContent()).trim();
    if (states[states.length - 1] !== s) states.push(s);
    return s === 'completed' || s === 'failed';
  }, 300_000, 'the lease to end', 250);
  console.log(`console: lease #${lease} states seen on the page: ${states.join(' -> ')}`);
  assert.equal(states[states.length - 1], 'completed');
  const timeline = await page.getByTestId('lease-timeline').textContent();
  console.log(`console: lease #${lease} history on the page: ${timeline}`);
  assert.match(timeline, /^assigned #\d+ → running #\d+ → completed #\d+$/);
  const view = await rpc('market_lease', [lease]);
  await waitFor(async () => (await page.getByTestId('lease-charged').getAttribute('data-planck')) === view.usage.charged, 30_000, 'the final charge on the page');
  assert.ok(BigInt(view.usage.charged) > 0n);
  console.log(`console: charged ${view.usage.charged} planck on chain and on the page (${await page.getByTestId('lease-charged').textContent()})`);
  // The metering chart ends at the lease's last block with the same charge.
  const chart = page.getByTestId('metering-chart');
  await waitFor(async () => (await chart.getAttribute('data-last-charged')) === view.usage.charged
    && Number(await chart.getAttribute('data-last-block')) === view.endedAt, 60_000, 'the chart to reach the end');
  const points = Number(await chart.getAttribute('data-points'));
  assert.ok(points >= 3, `${points} samples`);
  console.log(`console: metering chart: ${points} samples from block #${view.assignedAt} to #${view.endedAt}`);
  await page.screenshot({ path: join(shots, 'lease.png'), fullPage: true });
  await page.close();
});

test('the lease page: Eve follows the logs, tops up the paused lease, downloads the verified result, rates and disputes', { timeout: 600_000 }, async () => {
  const { api, keyring, rpc, agent } = chain;
  const eve = keyring.addFromUri('//Eve');
  // Caps at the base prices and 8 blocks prepaid: a busy job pauses once fewer than 5 blocks
  // of its worst case are left.
  const base = (await api.query.market.basePrices()).toJSON();
  const script = 'echo started; end=$(( $(date +%s) + 25 )); while [ $(date +%s) -lt $end ]; do :; done; echo 42 > /out/result.txt; echo resumed-and-done';
  const placed = await sendTx(api, eve, api.tx.market.placeOrder(`0x${image.hex.replace(/^0x/, '')}`,
    { cpuMillicores: 500, memoryBytes: 16n * MIB, storageBytes: 16n * MIB, bandwidthBps: 0 }, ['/bin/sh', '-c', script], 1, 200, 8, base, [], false));
  const assigned = placed.events.find(({ event }) => api.events.market.LeaseAssigned.is(event)).event.data;
  const lease = assigned.lease.toNumber();
  const order = assigned.order.toNumber();

  const page = await openPage(browser, chain.url, `lease/${lease}`, 'Eve');
  await page.getByTestId('gateway-fingerprint').waitFor({ timeout: 60_000 });
  assert.equal((await page.getByTestId('gateway-fingerprint').textContent()).replaceAll(':', '').toLowerCase(),
    execFileSync(binary('uranus-agent'), ['gateway-fingerprint', '--data-dir', agent.dataDir], { encoding: 'utf8' }).trim());
  await waitFor(async () => (await agent.job(lease))?.state === 'running' ? true : null, 120_000, 'the job runs');
  await page.getByTestId('logs-follow').click();
  await waitFor(async () => /started/.test(await page.getByTestId('lease-logs').textContent()), 30_000, 'the first log line on the page');

  // Paused: the page says so; Eve tops up from the page and the job resumes.
  await page.getByTestId('lease-paused').waitFor({ timeout: 180_000 });
  const prepaidBefore = (await rpc('market_orders', [eve.address, null, 100])).find((o) => o.id === order).prepaidBlocks;
  await page.getByTestId('topup-blocks').fill('150');
  await page.getByTestId('topup-submit').click();
  const status = page.getByTestId('tx-status');
  await waitFor(async () => ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the top-up to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  const prepaidAfter = (await rpc('market_orders', [eve.address, null, 100])).find((o) => o.id === order).prepaidBlocks;
  assert.equal(prepaidAfter, Math.min(prepaidBefore + 150, 200));
  await waitFor(async () => (await page.getByTestId('lease-state').textContent()).startsWith('running'), 60_000, 'running again on the page');
  console.log(`console: lease #${lease} paused, topped up from the page (${prepaidBefore} -> ${prepaidAfter} blocks prepaid) and resumed`);

  // The followed log reaches the job's end; the result downloads and matches the chain.
  await waitFor(async () => /resumed-and-done/.test(await page.getByTestId('lease-logs').textContent()), 180_000, 'the last log line');
  await page.getByTestId('logs-end').waitFor({ timeout: 30_000 });
  await waitFor(async () => (await page.getByTestId('lease-state').textContent()) === 'completed', 120_000, 'completed on the page');
  const ended = await rpc('market_lease', [lease]);
  const digest = ended.result.match(/^out:sha256:([0-9a-f]{64}):(\d+) exit 0$/);
  assert.ok(digest, ended.result);
  await page.getByTestId('result-fetch').click();
  await page.getByTestId('result-check').waitFor({ timeout: 30_000 });
  assert.equal(await page.getByTestId('result-check').getAttribute('data-matches'), 'true', await page.getByTestId('result-check').textContent());
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('result-save').click()]);
  const saved = readFileSync(await download.path());
  assert.equal(createHash('sha256').update(saved).digest('hex'), digest[1]);
  assert.equal(saved.length, Number(digest[2]));
  console.log(`console: result of lease #${lease} saved from the page: ${saved.length} bytes, sha256 ${digest[1]} as on chain`);
  await page.getByTestId('logs-tail').click();
  await waitFor(async () => /started[\s\S]*resumed-and-done/.test(await page.getByTestId('lease-logs').textContent()), 30_000, 'the log tail');

  // Rated 4 stars, then disputed for 0.000001 URA.
  await page.getByTestId('rate-stars').selectOption('4');
  await page.getByTestId('rate-submit').click();
  await waitFor(async () => (await rpc('market_lease', [lease])).rating === 4 ? true : null, 90_000, 'the rating on chain');
  await waitFor(async () => (await page.getByTestId('lease-rating').textContent()).includes('(4/5)'), 30_000, 'the rating on the page');
  await page.getByTestId('dispute-amount').fill('0.000001');
  await page.getByTestId('dispute-submit').click();
  const disputed = await waitFor(async () => {
    const v = await rpc('market_lease', [lease]);
    return v.dispute.state === 'open' ? v : null;
  }, 90_000, 'the dispute on chain');
  assert.ok(BigInt(disputed.dispute.amount) <= 1_000_000n);
  await waitFor(async () => (await page.getByTestId('lease-dispute').getAttribute('data-state')) === 'open', 30_000, 'the dispute on the page');
  console.log(`console: lease #${lease} rated 4/5 and disputed (${disputed.dispute.amount} planck held) from the page`);
  await page.screenshot({ path: join(shots, 'lease-user.png'), fullPage: true });
  await page.close();

  // Another account sees the lease but none of the user's controls.
  const other = await openPage(browser, chain.url, `lease/${lease}`, 'Ferdie');
  await other.getByTestId('lease-not-yours').waitFor({ timeout: 30_000 });
  assert.equal(await other.getByTestId('logs-tail').count(), 0);
  assert.equal(await other.getByTestId('rate-submit').count(), 0);
  await other.close();
});

test('an unverified image or an order beyond the funds shows why and sends nothing', { timeout: 120_000 }, async () => {
  const { api, keyring } = chain;
  const ferdie = keyring.addFromUri('//Ferdie').address;
  const nonce = (await api.rpc.system.accountNextIndex(ferdie)).toNumber();
  const page = await openPage(browser, chain.url, 'market', 'Ferdie');

  await page.getByTestId('order-image').selectOption(`sha256:${PENDING.slice(2)}`);
  await page.getByTestId('quote').waitFor();
  await page.getByTestId('order-submit').click();
  await waitFor(async () => /not verified yet/.test((await page.getByTestId('order-problem').textContent()) || ''), 10_000, 'the unverified message');
  console.log(`console: ${await page.getByTestId('order-problem').textContent()}`);

  await page.getByTestId('order-image').selectOption(image.digest);
  await page.getByTestId('order-cpu').fill('1000');
  await page.getByTestId('order-capFactor').fill('100000');
  await page.getByTestId('order-maxBlocks').fill('1000000');
  await page.getByTestId('order-prepaid').fill('1000000');
  await waitFor(async () => (await page.getByTestId('quote').count()) === 1, 10_000, 'a new quote');
  await page.getByTestId('order-submit').click();
  await waitFor(async () => /Not enough funds/.test((await page.getByTestId('order-problem').textContent()) || ''), 10_000, 'the funds message');
  console.log(`console: ${await page.getByTestId('order-problem').textContent()}`);

  assert.equal(await page.getByTestId('tx-status').count(), 0, 'no transaction was started');
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= head + 2, 30_000, 'two blocks');
  assert.equal((await api.rpc.system.accountNextIndex(ferdie)).toNumber(), nonce);
  await page.close();
});

test('the providers page shows the machine, its PoC score and σ with their history, and Dave claims his rewards', { timeout: 480_000 }, async () => {
  const { rpc, keyring } = chain;
  const dave = keyring.addFromUri('//Dave').address;
  const page = await openPage(browser, chain.url, 'providers', 'Dave');
  const [machine] = await rpc('registry_machines', [dave, null, 10]);
  const row = page.locator(`[data-machine="${machine.id}"]`).first();
  await row.waitFor({ timeout: 30_000 });
  const hardware = await row.locator('[data-col=hardware]').textContent();
  assert.ok(hardware.startsWith(`${machine.logicalCores} cores ${machine.cpuModel}`), hardware);
  assert.match(await row.locator('[data-col=state]').textContent(), /^online · (not )?verified$/);
  const container = machine.containers[0].id;
  const cell = page.locator(`[data-container="${container}"] [data-col=total]`);
  await waitFor(async () => {
    const s = await rpc('poc_score', [container]);
    return (await cell.textContent()) === BigInt(s.total).toLocaleString('en-US');
  }, 30_000, 'the score on the page to match poc_score');
  const sigmas = await rpc('poc_sigmas');
  for (const s of sigmas) {
    const shown = await page.locator(`[data-resource="${s.resource}"] [data-col=sigma]`).textContent();
    assert.equal(shown, (Number(s.sigma.value) / 1e6).toFixed(3), `σ of ${s.resource}`);
  }
  await page.getByTestId('rewards').waitFor();
  const pending = await rpc('poc_pendingRewards', [dave]);
  await waitFor(async () => (await page.getByTestId('rewards').getAttribute('data-claimable')) === String(BigInt(pending.claimable)), 30_000, 'claimable on the page');
  console.log(`console: machine #${machine.id} "${hardware}", container #${container} score ${await cell.textContent()}, σ ${sigmas.map((s) => `${s.resource} ${s.sigma.value}`).join(', ')}, claimable ${pending.claimable}`);

  // The history plots: their last sample is what the chain had at that block.
  for (const id of ['score-history', 'sigma-history']) {
    await waitFor(async () => Number(await page.getByTestId(id).getAttribute('data-points')) >= 3, 60_000, `${id} samples`);
  }
  const scorePlot = page.getByTestId('score-history');
  const scoreBlock = Number(await scorePlot.getAttribute('data-last-block'));
  const scoreAt = await rpc('poc_score', [container, (await chain.api.rpc.chain.getBlockHash(scoreBlock)).toHex()]);
  assert.equal(JSON.parse(await scorePlot.getAttribute('data-last-values'))[0], Number(scoreAt.total));
  const sigmaPlot = page.getByTestId('sigma-history');
  const sigmaBlock = Number(await sigmaPlot.getAttribute('data-last-block'));
  const sigmasAt = await rpc('poc_sigmas', [(await chain.api.rpc.chain.getBlockHash(sigmaBlock)).toHex()]);
  assert.deepEqual(JSON.parse(await sigmaPlot.getAttribute('data-last-values')), sigmasAt.map((s) => Number(s.sigma.value) / 1e6));
  console.log(`console: history plots: ${await scorePlot.getAttribute('data-points')} score samples (total ${scoreAt.total} at #${scoreBlock}), ${await sigmaPlot.getAttribute('data-points')} σ samples`);

  // Dave's verified machine earned a share of an ended era: he claims it on the page.
  await waitFor(async () => BigInt((await rpc('poc_pendingRewards', [dave])).claimable) > 0n, 300_000, 'a claimable reward', 2_000);
  await waitFor(async () => BigInt(await page.getByTestId('rewards').getAttribute('data-claimable')) > 0n, 30_000, 'claimable on the page');
  const freeBefore = (await chain.api.query.system.account(dave)).data.free.toBigInt();
  await page.getByTestId('claim').click();
  const status = page.getByTestId('tx-status');
  await waitFor(async () => ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the claim to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  const claimedAt = await chain.api.rpc.chain.getBlockHash(Number((await status.textContent()).match(/#(\d+)/)[1]));
  const claimed = (await (await chain.api.at(claimedAt)).query.system.events())
    .filter(({ event }) => chain.api.events.poc.RewardsClaimed.is(event)).map(({ event }) => event.data);
  assert.equal(claimed.length, 1);
  assert.equal(claimed[0].who.toString(), dave);
  console.log(`console: Dave claimed ${claimed[0].amount.toString()} planck from the page (free balance was ${freeBefore})`);
  await page.screenshot({ path: join(shots, 'providers.png'), fullPage: true });
  await page.close();
});
