// The compute side of the end-to-end tests, all real: Debian's `docker-registry` on loopback,
// a busybox image built with umoci and pushed with skopeo, and the `uranus-agent` binary
// (runc underneath) as a child process that can be killed and restarted on its data dir.
import { spawn, execFileSync } from 'node:child_process';
import { chmodSync, openSync, mkdtempSync, writeFileSync, readFileSync, mkdirSync, copyFileSync, symlinkSync, existsSync } from 'node:fs';
import { createConnection } from 'node:net';
import { createServer as createHttpServer, request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { binary, freePort, withTimeout, startDevNode, waitFor } from './harness.mjs';

function run(cmd, args) {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port }, () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function waitPort(port, what, ms = 30_000) {
  const deadline = Date.now() + ms;
  while (!(await portOpen(port))) {
    if (Date.now() > deadline) throw new Error(`${what} did not listen on ${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Starts `docker-registry` on a free loopback port: `{ addr, stop }`. */
export async function startRegistry() {
  const dir = mkdtempSync(join(tmpdir(), 'uranus-registry-'));
  const port = await freePort();
  const addr = `127.0.0.1:${port}`;
  const config = join(dir, 'config.yml');
  writeFileSync(config, [
    'version: 0.1', 'log:', '  level: error', 'storage:', '  filesystem:',
    `    rootdirectory: ${join(dir, 'data')}`, 'http:', `  addr: ${addr}`, '',
  ].join('\n'));
  const child = spawn('docker-registry', ['serve', config], { stdio: 'ignore' });
  await waitPort(port, 'docker-registry');
  return { addr, stop: () => child.kill('SIGKILL') };
}

/**
 * Builds a busybox image (static busybox + its applets, `PATH=/bin`) and pushes it to
 * `registry` as `test/busybox:1.0`: `{ name, digest, hex, size }` with `digest` =
 * `sha256:<hex>` of the manifest, `hex` = `0x<hex>` (the chain's `[u8; 32]`) and `size` =
 * manifest + config + layers in bytes.
 */
export function pushBusybox(registry) {
  const dir = mkdtempSync(join(tmpdir(), 'uranus-image-'));
  const layout = join(dir, 'oci');
  const image = `${layout}:bb`;
  run('umoci', ['init', '--layout', layout]);
  run('umoci', ['new', '--image', image]);
  const bundle = join(dir, 'bundle');
  run('umoci', ['unpack', '--image', image, bundle]);
  const rootfs = join(bundle, 'rootfs');
  for (const d of ['bin', 'proc', 'sys', 'dev', 'tmp', 'scratch', 'etc']) mkdirSync(join(rootfs, d), { recursive: true });
  const busybox = run('sh', ['-c', 'command -v busybox']).trim();
  copyFileSync(busybox, join(rootfs, 'bin/busybox'));
  for (const a of run(busybox, ['--list']).split('\n')) {
    if (a && a !== 'busybox' && !existsSync(join(rootfs, 'bin', a))) symlinkSync('busybox', join(rootfs, 'bin', a));
  }
  run('umoci', ['repack', '--image', image, bundle]);
  run('umoci', ['config', '--image', image, '--config.cmd=/bin/sh', '--config.cmd=-c',
    '--config.cmd=echo hello-from-image', '--config.env=PATH=/bin', '--tag=1.0']);
  const name = `${registry}/test/busybox`;
  run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:1.0`, `docker://${name}:1.0`]);
  const manifest = run('skopeo', ['inspect', '--raw', '--tls-verify=false', `docker://${name}:1.0`]);
  const raw = JSON.parse(manifest);
  const digest = JSON.parse(run('skopeo', ['inspect', '--tls-verify=false', `docker://${name}:1.0`])).Digest;
  const size = Buffer.byteLength(manifest) + raw.config.size + raw.layers.reduce((n, l) => n + l.size, 0);
  return { name, digest, hex: `0x${digest.slice('sha256:'.length)}`, size };
}

/** A real `uranus-agent` on a loopback port with its own data directory. */
export class Agent {
  constructor(dataDir, port) {
    this.dataDir = dataDir;
    this.port = port;
    this.url = `http://127.0.0.1:${port}`;
    this.tokenFile = join(dataDir, 'agent.token');
    this.child = null;
    /** More `uranus-agent run` flags (e.g. the lease gateway's). */
    this.extraArgs = [];
  }

  /** A new agent (not started) on a fresh data dir and port. */
  static async create() {
    const dir = mkdtempSync(join(tmpdir(), 'uranus-agent-'));
    // Jobs run as an unprivileged host user (user namespaces): it must reach the images.
    chmodSync(dir, 0o711);
    const data = join(dir, 'data');
    mkdirSync(data);
    return new Agent(data, await freePort());
  }

  /** Starts (or restarts) it on the same data dir and port. */
  async start() {
    this.child = spawn(binary('uranus-agent'), [
      'run', '--listen', `127.0.0.1:${this.port}`, '--data-dir', this.dataDir, '--sample-interval-ms', '500',
      ...this.extraArgs,
    ], { stdio: ['ignore', 'ignore', openSync(`${this.dataDir}.log`, 'a')] });
    const exited = new Promise((resolve) => this.child.on('exit', resolve));
    this.exited = exited;
    await waitPort(this.port, 'uranus-agent');
    // The agent binds its port before it writes its token (a first start creates it).
    await waitFor(() => existsSync(this.tokenFile) && readFileSync(this.tokenFile, 'utf8').trim().length >= 32, 30_000, 'the agent\'s token');
    this.token = readFileSync(this.tokenFile, 'utf8').trim();
  }

  /** SIGKILL: no cleanup at all (the jobs' shims keep their containers running). */
  async kill() {
    if (!this.child || this.child.exitCode !== null) return;
    this.child.kill('SIGKILL');
    await withTimeout(this.exited, 10_000, 'agent exit');
  }

  /** `method path` with the token; the decoded JSON body (or `{ status }` without one). */
  async call(method, path) {
    const r = await fetch(`${this.url}${path}`, { method, headers: { authorization: `Bearer ${this.token}` } });
    const text = await r.text();
    return { status: r.status, body: text ? JSON.parse(text) : null };
  }

  /** `GET /v1/jobs/{id}` (`null` when unknown). */
  async job(id) {
    const r = await this.call('GET', `/v1/jobs/${id}`);
    return r.status === 200 ? r.body : null;
  }

  /** `GET /v1/jobs/{id}/logs`. */
  async logs(id) {
    const r = await fetch(`${this.url}/v1/jobs/${id}/logs`, { headers: { authorization: `Bearer ${this.token}` } });
    return r.text();
  }

  /** The runtime's view of the job's container (`runc state`). */
  runcStatus(id) {
    try {
      return JSON.parse(run('runc', ['--root', join(this.dataDir, 'runtime'), 'state', `ura-${id}`])).status;
    } catch {
      return null;
    }
  }

  /**
   * Stops it: removes every job it still runs (`DELETE`), so no container outlives a test,
   * then lets it shut down and release what it provisioned.
   */
  async stop() {
    if (this.child && this.child.exitCode === null) {
      try {
        const r = await this.call('GET', '/v1/jobs');
        for (const j of r.body || []) await this.call('DELETE', `/v1/jobs/${j.lease_id}`).catch(() => {});
      } catch { /* already gone */ }
      // SIGTERM first: the agent drains its warm pool of job networks and scratch volumes
      // (network namespaces, veths, firewall rules, loop mounts); SIGKILL only if it hangs.
      this.child.kill('SIGTERM');
      try {
        await withTimeout(this.exited, 30_000, 'agent shutdown');
      } catch {
        await this.kill();
      }
    }
  }
}

/**
 * A dishonest provider's host: an HTTP proxy on loopback in front of the real agent that
 * passes every request through unchanged except `GET /v1/hardware`, whose cores and memory it
 * multiplies by `factor`. The node's worker, talking to it, registers the inflated profile and
 * has the real agent run the challenge of that claim. `{ url, stop }`.
 */
export async function startLyingProxy(agent, factor) {
  const target = new URL(agent.url);
  const server = createHttpServer((req, res) => {
    const upstream = httpRequest({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers,
    }, (up) => {
      if (req.method === 'GET' && req.url === '/v1/hardware' && up.statusCode === 200) {
        const chunks = [];
        up.on('data', (c) => chunks.push(c));
        up.on('end', () => {
          const hw = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          hw.logical_cores *= factor;
          hw.memory_total_bytes *= factor;
          hw.memory_available_bytes *= factor;
          const body = JSON.stringify(hw);
          res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
          res.end(body);
        });
        return;
      }
      res.writeHead(up.statusCode, up.headers);
      up.pipe(res);
    });
    upstream.on('error', () => { res.writeHead(502); res.end(); });
    req.pipe(upstream);
  });
  const port = await freePort();
  await new Promise((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    stop: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

/**
 * Starts an agent and a dev node whose worker drives it; with `join` (a multiaddr), a second
 * node of the same dev chain instead of the authoring one. With `overclaim` (a factor), the
 * worker talks to the agent through [`startLyingProxy`]: the machine claims that many times
 * this host's cores and memory.
 */
export async function startChain({ join = null, name = 'pjs-provider', overclaim = null, gateway = false } = {}) {
  const agent = await Agent.create();
  // With a gateway the agent reads leases from the node: the node comes first (its worker
  // waits for the agent).
  if (!gateway) await agent.start();
  const proxy = overclaim ? await startLyingProxy(agent, overclaim) : null;
  const node = await startDevNode({
    join,
    extraArgs: [
      '--offchain-worker', 'always', '--agent-url', proxy ? proxy.url : agent.url,
      '--agent-token-file', agent.tokenFile, '--provider-name', name, '--provider-region', 'loopback',
    ],
  });
  if (gateway) {
    agent.gatewayPort = await freePort();
    agent.extraArgs = ['--gateway-listen', `127.0.0.1:${agent.gatewayPort}`, '--node-rpc', node.url.replace('ws://', 'http://')];
    await agent.start();
  }
  const rpc = (method, params = []) => node.api._rpcCore.provider.send(method, params);
  if (proxy) {
    const stopAgent = agent.stop.bind(agent);
    agent.stop = async () => { await proxy.stop(); await stopAgent(); };
  }
  return { ...node, agent, rpc };
}

/** A multiaddr other nodes reach `chain`'s node at (loopback). */
export async function multiaddrOf(chain) {
  const peer = await chain.rpc('system_localPeerId');
  const addrs = await chain.rpc('system_localListenAddresses');
  const local = addrs.find((a) => a.startsWith('/ip4/127.0.0.1/tcp/')) || addrs[0];
  return local.includes('/p2p/') ? local : `${local}/p2p/${peer}`;
}

/** Inserts `uri`'s provider key into the node and waits for its machine with a container. */
export async function becomeProvider(chain, uri) {
  const pair = chain.keyring.addFromUri(uri);
  await chain.rpc('author_insertKey', ['cmpt', uri, `0x${Buffer.from(pair.publicKey).toString('hex')}`]);
  return waitFor(async () => {
    const ms = await chain.rpc('registry_machines', [pair.address, null, 10]);
    return ms.find((m) => m.containers.length > 0 && m.online);
  }, 180_000, `${uri}'s machine with a container`, 1_000);
}
