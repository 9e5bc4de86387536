// The console in a real browser (Debian's chromium driven by playwright-core) against a real
// dev node: finalized blocks advance on the page; a DPoS vote made on the page changes the
// candidate's St to the planck; bad input shows a clear message and sends nothing. The app
// store: Bob publishes an image from the page and it is listed as the chain has it.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startDevNode, URA, waitFor } from '../../tests/pjs/harness.mjs';
import { startBrowser, openPage, shots } from './browser.mjs';

const DIGEST = `sha256:${'ab'.repeat(32)}`;
let chain;
let browser;

before(async () => {
  chain = await startDevNode();
  browser = await startBrowser();
});

after(async () => {
  await browser?.close();
  await chain?.stop();
});

const number = async (page, id) => Number((await page.getByTestId(id).textContent()).replace('#', ''));

test('the network page shows finalized blocks advancing', async () => {
  const page = await openPage(browser, chain.url, 'network');
  await waitFor(async () => (await number(page, 'finalized')) > 0, 60_000, 'a finalized block on the page');
  const first = await number(page, 'finalized');
  await waitFor(async () => (await number(page, 'finalized')) >= first + 2, 60_000, 'finality advancing on the page');
  const last = await number(page, 'finalized');
  const onChain = (await chain.api.rpc.chain.getHeader(await chain.api.rpc.chain.getFinalizedHead())).number.toNumber();
  console.log(`console: finalized #${first} -> #${last} on the page, #${onChain} on the node`);
  assert.ok(onChain >= last);
  await page.locator('[data-candidate]').first().waitFor();
  await page.screenshot({ path: join(shots, 'network.png'), fullPage: true });
  await page.close();
});

test('a DPoS vote from the page changes the candidate\'s St to the planck, and unvote takes it back', async () => {
  const { api } = chain;
  const page = await openPage(browser, chain.url, 'network', 'Bob');
  const row = page.locator('[data-candidate]').first();
  const stash = await row.getAttribute('data-candidate');
  const before = (await api.query.dpos.candidateVotes(stash)).toBigInt();
  assert.equal(BigInt(await row.locator('[data-col=St]').getAttribute('data-planck')), before);
  await page.getByTestId(`choose-${stash}`).check();
  await page.getByTestId('vote-stake').fill('1234.5');
  await page.getByTestId('vote-submit').click();
  const status = page.getByTestId('tx-status');
  await waitFor(async () => ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the vote to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  const stake = 1234n * URA + URA / 2n;
  const after = (await api.query.dpos.candidateVotes(stash)).toBigInt();
  assert.equal(after, before + stake);
  await waitFor(async () => BigInt(await row.locator('[data-col=St]').getAttribute('data-planck')) === after, 30_000, 'St on the page');
  console.log(`console: vote finalized (${await status.textContent()}); St ${before} -> ${after} planck on chain and page`);
  await page.getByTestId('my-vote').waitFor();
  await page.screenshot({ path: join(shots, 'vote.png'), fullPage: true });

  // Unvote: the candidate's St drops back and the page shows no vote.
  await page.getByTestId('unvote').click();
  await waitFor(async () => (await status.textContent()).startsWith('dpos.unvote')
    && ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the unvote to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  assert.equal((await api.query.dpos.candidateVotes(stash)).toBigInt(), before);
  await waitFor(async () => BigInt(await row.locator('[data-col=St]').getAttribute('data-planck')) === before, 30_000, 'St back on the page');
  await waitFor(async () => (await page.getByTestId('my-vote').count()) === 0, 30_000, 'no vote on the page');
  console.log(`console: unvote finalized; St back to ${before} planck on chain and page`);
  await page.close();
});

test('a vote beyond the balance or without a candidate shows why and sends nothing', async () => {
  const { api, keyring } = chain;
  const page = await openPage(browser, chain.url, 'network', 'Ferdie');
  const ferdie = keyring.addFromUri('//Ferdie').address;
  const nonce = (await api.rpc.system.accountNextIndex(ferdie)).toNumber();
  const stash = await page.locator('[data-candidate]').first().getAttribute('data-candidate');

  await page.getByTestId('vote-stake').fill('5');
  await page.getByTestId('vote-submit').click();
  await page.getByTestId('vote-problem').waitFor();
  assert.match(await page.getByTestId('vote-problem').textContent(), /Choose at least one candidate/);

  await page.getByTestId(`choose-${stash}`).check();
  await page.getByTestId('vote-stake').fill('999999999999');
  await page.getByTestId('vote-submit').click();
  await waitFor(async () => /Not enough funds/.test(await page.getByTestId('vote-problem').textContent()), 10_000, 'the funds message');
  console.log(`console: ${await page.getByTestId('vote-problem').textContent()}`);

  await page.getByTestId('vote-stake').fill('twelve');
  await page.getByTestId('vote-submit').click();
  await waitFor(async () => /not an amount of URA/.test(await page.getByTestId('vote-problem').textContent()), 10_000, 'the amount message');

  assert.equal(await page.getByTestId('tx-status').count(), 0, 'no transaction was started');
  // Two more blocks: nothing of Ferdie's reached the chain.
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= head + 2, 30_000, 'two blocks');
  assert.equal((await api.rpc.system.accountNextIndex(ferdie)).toNumber(), nonce);
  assert.equal((await api.query.dpos.votes(ferdie)).isNone, true);
  await page.close();
});

test('an image published from the page is listed as the chain has it; bad input sends nothing', async () => {
  const { api, keyring } = chain;
  const bob = keyring.addFromUri('//Bob').address;
  const page = await openPage(browser, chain.url, 'apps', 'Bob');
  await page.getByTestId('publish-name').fill('example.org/tools/render');
  await page.getByTestId('publish-version').fill('2.0');
  await page.getByTestId('publish-digest').fill('xyz');
  await page.getByTestId('publish-sizeMib').fill('12.5');
  await page.getByTestId('publish-fee').fill('0.25');
  await page.getByTestId('publish-submit').click();
  await waitFor(async () => /64 hex digits/.test((await page.getByTestId('publish-problem').textContent()) || ''), 10_000, 'the digest message');
  assert.equal(await page.getByTestId('tx-status').count(), 0, 'nothing was sent');

  await page.getByTestId('publish-digest').fill(DIGEST);
  await page.getByTestId('publish-submit').click();
  const status = page.getByTestId('tx-status');
  await waitFor(async () => ['finalized', 'failed'].includes(await status.getAttribute('data-stage')), 90_000, 'the publication to finalize');
  assert.equal(await status.getAttribute('data-stage'), 'finalized', await status.textContent());
  const view = await chain.api._rpcCore.provider.send('registry_image', [DIGEST]);
  assert.equal(view.publisher, bob);
  assert.equal(view.status, 'pending');
  assert.equal(BigInt(view.fee), URA / 4n);
  const row = page.locator(`[data-digest="${DIGEST}"]`);
  await row.waitFor({ timeout: 30_000 });
  assert.equal(await row.locator('[data-col=status]').textContent(), 'pending');
  assert.equal(await row.locator('[data-col=fee]').getAttribute('data-planck'), String(URA / 4n));
  console.log(`console: published ${view.name}:${view.version} by ${view.publisher}, ${view.status}, fee ${view.fee} planck, ${view.sizeBytes} bytes`);

  const nonce = (await api.rpc.system.accountNextIndex(bob)).toNumber();
  await page.getByTestId('publish-submit').click();
  await waitFor(async () => /already published/.test((await page.getByTestId('publish-problem').textContent()) || ''), 10_000, 'the duplicate message');
  await page.screenshot({ path: join(shots, 'apps.png'), fullPage: true });
  const head = (await api.rpc.chain.getHeader()).number.toNumber();
  await waitFor(async () => (await api.rpc.chain.getHeader()).number.toNumber() >= head + 2, 30_000, 'two blocks');
  assert.equal((await api.rpc.system.accountNextIndex(bob)).toNumber(), nonce, 'the duplicate was not sent');
  await page.close();
});
