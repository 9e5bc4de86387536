// The market in a real browser against a real dev node whose worker drives a real agent
// (runc) with images from a loopback registry: Eve places an order on the page, sees the
// cost before signing, follows the lease assigned → running → completed, and the charge the
// page shows equals the chain's to the planck. An unverified image or an order beyond the
// account's funds shows why and sends nothing.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { sendTx, waitFor } from '../../tests/pjs/harness.mjs';
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
  chain = await startChain({ name: 'console-provider' });
  await becomeProvider(chain, '//Dave');
  const { api, keyring } = chain;
  const [alice, bob] = ['//Alice', '//Bob'].map((u) => keyring.addFromUri(u));
  const spec = { cpuMillicores: 100, memoryBytes: 4n * MIB, storageBytes: 0, bandwidthBps: 0 };
  await sendTx(api, bob, api.tx.registry.publishImage(image.name, '1.0', image.hex, image.size, spec, 5_000_000n));
  await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(image.hex, true)));
  // Published, never reviewed: the market refuses it.
  await sendTx(api, bob, api.tx.registry.publishImage('test/unreviewed', '0.1', PENDING, 1000, spec, 0));
  browser = await startBrowser();
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

test('the providers page shows the machine, its PoC score, σ and rewards as the chain has them', { timeout: 120_000 }, async () => {
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
  await page.screenshot({ path: join(shots, 'providers.png'), fullPage: true });
  await page.close();
});
