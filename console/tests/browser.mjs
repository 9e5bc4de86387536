// Shared set-up of the console's browser tests: the built console served from loopback and
// Debian's chromium driven by playwright-core.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';

const here = dirname(fileURLToPath(import.meta.url));

/** Where screenshots go (`CONSOLE_SCREENSHOTS`). */
export const shots = process.env.CONSOLE_SCREENSHOTS || '/tmp/uranus-console-screenshots';

/**
 * Builds the console, serves it and launches chromium: `{ site, browser, close }`. The browser
 * trusts the certificates whose public keys' SHA-256 (base64) are in `trustSpki` (lease
 * gateways' self-signed ones), as a user does after checking their fingerprints.
 */
export async function startBrowser({ trustSpki = [] } = {}) {
  execFileSync('node', [join(here, '..', 'build.mjs')], { stdio: 'inherit' });
  const site = await serve(0);
  const args = ['--no-sandbox'];
  if (trustSpki.length) args.push(`--ignore-certificate-errors-spki-list=${trustSpki.join(',')}`);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args,
  });
  mkdirSync(shots, { recursive: true });
  return { site, browser, close: async () => { await browser.close(); await site.close(); } };
}

/**
 * A fresh page of the console on `route`, connected to the node at `rpcUrl`, with the dev
 * account `name` chosen (none when null).
 */
export async function openPage({ site, browser }, rpcUrl, route, name = null) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('pageerror', (e) => console.log(`page error: ${e.message}`));
  await page.goto(`${site.url}?rpc=${encodeURIComponent(rpcUrl)}#/${route}`);
  await page.getByTestId('chain').waitFor();
  if (name) {
    const option = page.locator('[data-testid=account] option', { hasText: `${name} (dev)` });
    await page.getByTestId('account').selectOption(await option.getAttribute('value'));
  }
  return page;
}
