// The app store in a real browser against a real dev node: Bob publishes an image from the
// page and it is listed as the chain has it (pending review, his fee to the planck); a
// malformed digest or one already published shows why and sends nothing.
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
