// The lease gateway and the `uranus` CLI, end to end and all real: a dev node, the agent
// (runc) with its HTTPS gateway, a loopback registry, and the `uranus` binary as a user runs it.
//  - Eve places the order with `uranus order place`; the job logs lines and writes
//    /out/result.txt.
//  - Before Dave (the provider) registers his gateway (`uranus provider set-gateway`), the
//    CLI refuses to connect: there is no certificate to pin.
//  - `uranus lease logs --follow` streams the lines while the job runs; `uranus lease shell`
//    runs `cat /proc/1/cmdline` inside the container; Ferdie is refused (403); a replayed
//    and a stale signature are refused (401).
//  - After the job, `uranus lease fetch` downloads the outputs and they match the digest on
//    chain.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { u8aToHex, stringToU8a } from '@polkadot/util';
import { binary, freePort, startDevNode, sendTx, waitFor } from './harness.mjs';
import { startRegistry, pushBusybox, Agent, becomeProvider } from './compute.mjs';

const MIB = 1n << 20n;
const MICRO_URA = 1_000_000n;

let registry;
let image;

before(async () => {
  registry = await startRegistry();
  image = pushBusybox(registry.addr);
});

after(() => {
  if (registry) registry.stop();
});

/** Runs `uranus args…` as `suri`: `{ code, stdout, stderr }`. */
function uranus(url, suri, args, { input, onStdout } = {}) {
  return new Promise((resolve) => {
    const child = spawn(binary('uranus'), ['--url', url, ...args], {
      env: { ...process.env, URANUS_SURI: suri },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; if (onStdout) onStdout(String(d)); });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input || '');
  });
}

/** A signed gateway GET made by hand (to replay it): `{ status, body, fingerprint }`. */
function signedGet(port, path, headers) {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, method: 'GET', headers, rejectUnauthorized: false }, (res) => {
      let body = '';
      const fingerprint = res.socket.getPeerCertificate().fingerprint256;
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body, fingerprint }));
    });
    req.on('error', reject);
    req.end();
  });
}

function headersFor(pair, lease, path, timestamp = Date.now()) {
  const nonce = randomBytes(16).toString('hex');
  const payload = `uranus-gateway-v1\n${lease}\nGET\n${path}\n${timestamp}\n${nonce}`;
  return {
    'x-uranus-account': pair.address,
    'x-uranus-scheme': 'sr25519',
    'x-uranus-timestamp': String(timestamp),
    'x-uranus-nonce': nonce,
    'x-uranus-signature': u8aToHex(pair.sign(stringToU8a(payload))).slice(2),
  };
}

test('a user reaches its lease through the gateway with the uranus CLI: logs, shell, outputs', { timeout: 600_000 }, async (t) => {
  const agent = await Agent.create();
  const gatewayPort = await freePort();
  const node = await startDevNode({
    extraArgs: [
      '--offchain-worker', 'always', '--agent-url', agent.url,
      '--agent-token-file', agent.tokenFile, '--provider-name', 'gw-provider', '--provider-region', 'loopback',
    ],
  });
  agent.extraArgs = ['--gateway-listen', `127.0.0.1:${gatewayPort}`, '--node-rpc', node.url.replace('ws://', 'http://')];
  await agent.start();
  const chain = { ...node, agent, rpc: (m, p = []) => node.api._rpcCore.provider.send(m, p) };
  try {
    const { api, keyring, rpc } = chain;
    const [alice, bob, dave, ferdie] = ['//Alice', '//Bob', '//Dave', '//Ferdie'].map((u) => keyring.addFromUri(u));
    await becomeProvider(chain, '//Dave');
    await sendTx(api, bob, api.tx.registry.publishImage(image.name, '1.0', image.hex, image.size,
      { cpuMillicores: 100, memoryBytes: 4n * MIB, storageBytes: 0, bandwidthBps: 0 }, 5n * MICRO_URA));
    await sendTx(api, alice, api.tx.sudo.sudo(api.tx.registry.verifyImage(image.hex, true)));

    // Eve orders with the CLI: the job logs a line a second for ~45 s and leaves a result.
    const script = 'for i in $(seq 1 45); do echo "line-$i"; sleep 1; done; echo 42 > /out/result.txt; echo done';
    const placed = await uranus(node.url, '//Eve', ['order', 'place', '--image', image.digest, '--cpu', '500',
      '--memory', '64Mi', '--storage', '16Mi', '--blocks', '200', '--prepaid', '100', '--yes', '--', '/bin/sh', '-c', script]);
    assert.equal(placed.code, 0, placed.stderr);
    assert.match(placed.stderr, /quote: holds [0-9.]+ URA now/);
    const order = Number(placed.stdout.trim());
    const leases = await waitFor(async () => {
      const ls = await rpc('market_leases', [order, null, null, 10]);
      return ls.length ? ls : null;
    }, 60_000, 'the order is matched');
    const lease = leases[0].id;

    // No gateway on chain yet: nothing to pin, the CLI refuses.
    const unpinned = await uranus(node.url, '//Eve', ['lease', 'logs', String(lease)]);
    assert.equal(unpinned.code, 6, unpinned.stderr);
    assert.match(unpinned.stderr, /registered no gateway.*refusing/s);

    // Dave registers the gateway with its certificate's fingerprint.
    const fingerprint = execFileSync(binary('uranus-agent'), ['gateway-fingerprint', '--data-dir', agent.dataDir], { encoding: 'utf8' }).trim();
    assert.match(fingerprint, /^[0-9a-f]{64}$/);
    const gatewayUrl = `https://127.0.0.1:${gatewayPort}`;
    // A malformed fingerprint is a usage error before anything is signed; an account that is
    // not a provider is refused by the chain.
    const typo = await uranus(node.url, '//Dave', ['provider', 'set-gateway', '--gateway-url', gatewayUrl, '--tls-sha256', fingerprint.slice(2)]);
    assert.equal(typo.code, 2, typo.stderr);
    const notProvider = await uranus(node.url, '//Ferdie', ['provider', 'set-gateway', '--gateway-url', gatewayUrl, '--tls-sha256', fingerprint]);
    assert.equal(notProvider.code, 4, notProvider.stderr);
    assert.match(notProvider.stderr, /NotProvider/);
    const announced = await uranus(node.url, '//Dave', ['provider', 'set-gateway', '--gateway-url', gatewayUrl, '--tls-sha256', fingerprint]);
    assert.equal(announced.code, 0, announced.stderr);
    const onChain = (await api.query.registry.gateways(dave.address)).unwrap();
    assert.equal(onChain.url.toUtf8(), gatewayUrl);
    assert.equal(onChain.tlsSha256.toHex(), `0x${fingerprint}`);

    await waitFor(async () => (await rpc('market_lease', [lease])).state === 'running' ? true : null, 120_000, 'the lease runs');
    // Logs, followed: lines arrive while the job still runs.
    const started = Date.now();
    const arrivals = [];
    const follow = uranus(node.url, '//Eve', ['lease', 'logs', String(lease), '--follow'],
      { onStdout: (d) => { for (const l of d.split('\n').filter(Boolean)) arrivals.push({ line: l, at: Date.now() }); } });
    const seenRunning = waitFor(async () => {
      const job = await agent.job(lease);
      return job && job.state === 'running' ? true : null;
    }, 10_000, 'job running');
    await seenRunning;

    // A shell: the container's pid 1 is the job's command (runc exec with a PTY, in the job's
    // namespaces, user and cgroup). Ferdie gets no shell.
    const shell = await uranus(node.url, '//Eve', ['lease', 'shell', String(lease), '--', 'cat', '/proc/1/cmdline']);
    assert.equal(shell.code, 0, shell.stderr);
    // /proc/1/cmdline: each argument ends with a NUL.
    assert.equal(shell.stdout, ['/bin/sh', '-c', script].map((a) => `${a}\0`).join(''));
    const whoami = await uranus(node.url, '//Eve', ['lease', 'shell', String(lease), '--', 'sh', '-c', 'id -u; cat /proc/net/dev']);
    assert.equal(whoami.code, 0, whoami.stderr);
    // The job's user (root of its user namespace) in the job's network namespace.
    assert.match(whoami.stdout, /^0\r?\n/);
    assert.match(whoami.stdout, /^\s*eth0:/m);
    console.log(`shell: cat /proc/1/cmdline -> ${JSON.stringify(shell.stdout)}; id -u; /proc/net/dev -> ${JSON.stringify(whoami.stdout)}`);
    // A client that leaves ends its session's command: the agent kills it through a pidfd
    // taken while it was the job's (never by a pid that may name another process since).
    const sessions = async () => {
      const ps = await uranus(node.url, '//Eve', ['lease', 'shell', String(lease), '--', 'sh', '-c',
        'for p in /proc/[0-9]*; do tr "\\0" " " < $p/cmdline; echo; done']);
      assert.equal(ps.code, 0, ps.stderr);
      return ps.stdout.split(/\r?\n/).filter((l) => l.startsWith('sleep 1234'));
    };
    const leaver = spawn(binary('uranus'), ['--url', node.url, 'lease', 'shell', String(lease), '--', 'sleep', '1234'],
      { env: { ...process.env, URANUS_SURI: '//Eve' }, stdio: ['pipe', 'ignore', 'ignore'] });
    await waitFor(async () => ((await sessions()).length === 1 ? true : null), 15_000, 'the session runs sleep 1234');
    leaver.kill('SIGKILL');
    await waitFor(async () => ((await sessions()).length === 0 ? true : null), 15_000, 'the left session\'s command ended');
    console.log('shell: the command of a session whose client left was killed');
    const noShell = await uranus(node.url, '//Ferdie', ['lease', 'shell', String(lease), '--', 'true']);
    assert.equal(noShell.code, 6, noShell.stderr);
    assert.match(noShell.stderr, /403/);

    // Another account: 403.
    const other = await uranus(node.url, '//Ferdie', ['lease', 'logs', String(lease)]);
    assert.equal(other.code, 6, other.stderr);
    assert.match(other.stderr, /403.*is not lease \d+'s user/);

    // A replayed signature and a stale one: 401. The certificate is the registered one.
    const eve = keyring.addFromUri('//Eve');
    const path = `/v1/leases/${lease}`;
    const h = headersFor(eve, lease, path);
    const first = await signedGet(gatewayPort, path, h);
    assert.equal(first.status, 200, first.body);
    assert.equal(first.fingerprint.replaceAll(':', '').toLowerCase(), fingerprint);
    assert.equal(JSON.parse(first.body).job.lease_id, lease);
    const replay = await signedGet(gatewayPort, path, h);
    assert.equal(replay.status, 401);
    assert.match(replay.body, /replayed/);
    const stale = await signedGet(gatewayPort, path, headersFor(eve, lease, path, Date.now() - 10 * 60_000));
    assert.equal(stale.status, 401);
    assert.match(stale.body, /stale/);
    const forged = await signedGet(gatewayPort, path, { ...headersFor(ferdie, lease, path), 'x-uranus-account': eve.address });
    assert.equal(forged.status, 401, 'Ferdie signing as Eve');

    const logs = await follow;
    const followedFor = Date.now() - started;
    assert.equal(logs.code, 0, logs.stderr);
    for (let i = 1; i <= 45; i++) assert.match(logs.stdout, new RegExp(`^line-${i}$`, 'm'));
    assert.match(logs.stdout, /^done$/m);
    assert.match(logs.stderr, /the job ended/);
    // Live: lines arrived one by one while the job ran, not all at its end.
    const job = await agent.job(lease);
    const live = arrivals.filter((a) => a.at < job.finished_at_ms);
    assert.ok(live.length >= 5, `only ${live.length} lines arrived before the job ended`);
    assert.ok(arrivals.at(-1).at - arrivals[0].at >= 5_000, 'spread over the job\'s run');
    console.log(`logs --follow streamed ${logs.stdout.split('\n').length - 1} lines over ${followedFor} ms; ${live.length} arrived while the job ran, the first ${arrivals[0].at - started} ms after the CLI started`);

    // The result digest on chain, and the download that matches it.
    const ended = await waitFor(async () => {
      const v = await rpc('market_lease', [lease]);
      return v.state === 'completed' ? v : null;
    }, 120_000, 'the lease completes');
    const m = ended.result.match(/^out:sha256:([0-9a-f]{64}):(\d+) exit 0$/);
    assert.ok(m, `result ${ended.result}`);
    const dir = mkdtempSync(join(tmpdir(), 'uranus-fetch-'));
    const fetched = await uranus(node.url, '//Eve', ['lease', 'fetch', String(lease), '-o', dir]);
    assert.equal(fetched.code, 0, fetched.stderr);
    assert.match(fetched.stderr, new RegExp(`sha256 ${m[1]} matches the chain`));
    assert.equal(readFileSync(join(dir, 'result.txt'), 'utf8'), '42\n');
    console.log(`fetch: ${m[2]} bytes, sha256 ${m[1]} as on chain`);
    // Ferdie cannot fetch it either.
    const stolen = await uranus(node.url, '//Ferdie', ['lease', 'fetch', String(lease), '-o', dir]);
    assert.equal(stolen.code, 6, stolen.stderr);
  } finally {
    await agent.stop();
    await node.stop();
  }
});
