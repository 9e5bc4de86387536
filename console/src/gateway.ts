/**
 * A provider's lease gateway (`registry.gateways`): its HTTPS endpoint for a lease's logs and
 * outputs. Every request is signed by the lease's user over
 * `uranus-gateway-v1\n<lease>\n<METHOD>\n<path?query>\n<ms>\n<nonce>` (see the agent's
 * `gateway` module); the gateway checks the signer is the lease's user on chain.
 *
 * The gateway's certificate is self-signed and pinned on chain by its SHA-256. A browser
 * cannot pin by itself: the page shows the fingerprint, and the user makes the browser trust
 * that certificate once (opening the gateway and checking the fingerprint it shows).
 */
import type { ApiPromise } from '@polkadot/api';
import { hexToString, stringToU8a, u8aToHex } from '@polkadot/util';
import type { Account } from './wallet';

/** A gateway as registered on chain. */
export interface Gateway {
  /** `https://host:port`. */
  url: string;
  /** The certificate's SHA-256, hex. */
  tlsSha256: string;
}

/** A gateway request refused or failed, with the gateway's own words. */
export class GatewayError extends Error {
  /** HTTP status (0: the gateway could not be reached). */
  status: number;
  constructor(status: number, message: string) {
    super(message);
    this.status = status;
  }
}

/** The gateway `provider` registered, or null. */
export async function gatewayOf(api: ApiPromise, provider: string): Promise<Gateway | null> {
  const g = (await api.query.registry.gateways(provider)).toJSON() as { url: string; tlsSha256: string } | null;
  if (!g) return null;
  return { url: g.url.startsWith('0x') ? hexToString(g.url) : g.url, tlsSha256: g.tlsSha256.replace(/^0x/, '') };
}

/** `tlsSha256` as browsers show fingerprints: `AB:CD:…`. */
export function colonHex(hex: string): string {
  return (hex.match(/../g) ?? []).join(':').toUpperCase();
}

function randomHex(bytes: number): string {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return u8aToHex(b).slice(2);
}

/** Signs `payload` as `account`: `{ scheme, signature }` (hex, no 0x). */
async function sign(account: Account, payload: string): Promise<{ scheme: string; signature: string }> {
  if (account.pair) {
    return { scheme: account.pair.type, signature: u8aToHex(account.pair.sign(stringToU8a(payload))).slice(2) };
  }
  // The extension wraps raw payloads in <Bytes>…</Bytes>; the gateway accepts that form.
  const { web3FromAddress } = await import('@polkadot/extension-dapp');
  const injected = await web3FromAddress(account.address);
  if (!injected.signer.signRaw) throw new GatewayError(0, 'The wallet cannot sign messages (signRaw).');
  const { signature } = await injected.signer.signRaw({ address: account.address, data: u8aToHex(stringToU8a(payload)), type: 'bytes' });
  return { scheme: account.scheme ?? 'sr25519', signature: signature.replace(/^0x/, '') };
}

/** The signed headers of `GET pathAndQuery` about `lease`. */
export async function signedHeaders(account: Account, lease: number, pathAndQuery: string): Promise<Record<string, string>> {
  const timestamp = Date.now();
  const nonce = randomHex(16);
  const payload = `uranus-gateway-v1\n${lease}\nGET\n${pathAndQuery}\n${timestamp}\n${nonce}`;
  const { scheme, signature } = await sign(account, payload);
  return {
    'x-uranus-account': account.address,
    'x-uranus-scheme': scheme,
    'x-uranus-timestamp': String(timestamp),
    'x-uranus-nonce': nonce,
    'x-uranus-signature': signature,
  };
}

/** A signed `GET` of `pathAndQuery` about `lease`; throws a [`GatewayError`] unless 2xx. */
async function get(gw: Gateway, account: Account, lease: number, pathAndQuery: string, signal?: AbortSignal): Promise<Response> {
  const headers = await signedHeaders(account, lease, pathAndQuery);
  let res: Response;
  try {
    res = await fetch(`${gw.url}${pathAndQuery}`, { headers, signal, cache: 'no-store' });
  } catch (e) {
    if ((e as Error).name === 'AbortError') throw e;
    throw new GatewayError(0, `Could not reach the gateway at ${gw.url}. Its certificate is self-signed: open ${gw.url}/v1/health in this browser, check that the certificate's SHA-256 is ${colonHex(gw.tlsSha256)}, and trust it.`);
  }
  if (!res.ok) {
    const body = await res.text();
    let message = body;
    try { message = (JSON.parse(body) as { message?: string }).message ?? body; } catch { /* plain text */ }
    throw new GatewayError(res.status, `The gateway answered ${res.status}: ${message}`);
  }
  return res;
}

/** How a followed log ended: the job's final state and exit code (as the agent saw them). */
export interface LogEnd {
  state: string | null;
  exit_code: number | null;
}

/**
 * Reads `lease`'s log (its last `tail` bytes, then, with `follow`, new output until the job
 * ends) from the gateway's server-sent events, calling `onText` with each chunk. Resolves with
 * how the job ended.
 */
export async function readLogs(
  gw: Gateway,
  account: Account,
  lease: number,
  { tail = 64 << 10, follow = false, onText, signal }: { tail?: number; follow?: boolean; onText: (text: string) => void; signal?: AbortSignal },
): Promise<LogEnd | null> {
  const res = await get(gw, account, lease, `/v1/leases/${lease}/logs?tail=${tail}${follow ? '&follow=true' : ''}`, signal);
  if (!res.body) throw new GatewayError(res.status, 'The gateway sent no log stream.');
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffered = '';
  let end: LogEnd | null = null;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffered += value;
    // Events end with a blank line; `data:` lines of one event join with newlines.
    let at;
    while ((at = buffered.indexOf('\n\n')) >= 0) {
      const block = buffered.slice(0, at);
      buffered = buffered.slice(at + 2);
      let event = 'message';
      const data: string[] = [];
      for (const line of block.split('\n')) {
        if (line.startsWith('event:')) event = line.slice(6).trim();
        else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
      }
      if (data.length === 0) continue;
      if (event === 'end') end = JSON.parse(data.join('\n')) as LogEnd;
      else onText(data.join('\n'));
    }
  }
  return end;
}

/** The result digest `complete_lease` put on chain: `out:sha256:<hex>:<size> …`, or null. */
export function chainDigest(result: string): { sha256: string; size: number } | null {
  const m = /^out:sha256:([0-9a-f]{64}):(\d+)(?: |$)/.exec(result);
  return m ? { sha256: m[1], size: Number(m[2]) } : null;
}

/** A downloaded output archive, checked against the chain. */
export interface Download {
  /** An object URL of the archive (tar + zstd). */
  url: string;
  sha256: string;
  size: number;
  /** Whether its SHA-256 and size are the ones on chain. */
  matches: boolean;
}

/** Downloads `lease`'s outputs and checks them against `expected` (the chain's digest). */
export async function downloadOutput(gw: Gateway, account: Account, lease: number, expected: { sha256: string; size: number } | null): Promise<Download> {
  const res = await get(gw, account, lease, `/v1/leases/${lease}/output`);
  const bytes = await res.arrayBuffer();
  const sha256 = u8aToHex(new Uint8Array(await crypto.subtle.digest('SHA-256', bytes))).slice(2);
  const matches = expected !== null && expected.sha256 === sha256 && expected.size === bytes.byteLength;
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/zstd' }));
  return { url, sha256, size: bytes.byteLength, matches };
}
