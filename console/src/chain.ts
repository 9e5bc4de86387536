/** The connection to a Uranus node, and hooks that follow its state live. */
/// <reference types="@polkadot/api-augment" />
import { ApiPromise, WsProvider } from '@polkadot/api';
import { createContext } from 'preact';
import { useContext, useEffect, useState } from 'preact/hooks';

/** The node's RPC endpoint: `?rpc=ws://…` in the page URL, else a local node on 9944. */
export function endpoint(): string {
  return new URLSearchParams(location.search).get('rpc') || 'ws://127.0.0.1:9944';
}

let provider: WsProvider | null = null;

/** Connects to `url`; resolves once the metadata is loaded. */
export function connect(url: string): Promise<ApiPromise> {
  provider = new WsProvider(url);
  return ApiPromise.create({ provider, noInitWarn: true, throwOnConnect: true });
}

/** Calls one of the node's JSON-RPC methods that polkadot.js does not know (`market_quote`, …). */
export function rpc<T>(method: string, params: unknown[] = []): Promise<T> {
  if (!provider) return Promise.reject(new Error('not connected'));
  return provider.send<T>(method, params);
}

/** The connected API, provided by the app's root. */
export const ApiContext = createContext<ApiPromise | null>(null);

/** The connected API (the app renders pages only once connected). */
export function useApi(): ApiPromise {
  const api = useContext(ApiContext);
  if (!api) throw new Error('not connected');
  return api;
}

/** Best and finalized block numbers. */
export interface Heads {
  best: number;
  finalized: number;
}

/** Best and finalized block numbers, updated as the node imports and finalizes blocks. */
export function useHeads(api: ApiPromise): Heads {
  const [heads, setHeads] = useState<Heads>({ best: 0, finalized: 0 });
  useEffect(() => {
    const unsubs: Array<() => void> = [];
    api.rpc.chain
      .subscribeNewHeads((h) => setHeads((s) => ({ ...s, best: h.number.toNumber() })))
      .then((u) => unsubs.push(u));
    api.rpc.chain
      .subscribeFinalizedHeads((h) => setHeads((s) => ({ ...s, finalized: h.number.toNumber() })))
      .then((u) => unsubs.push(u));
    return () => unsubs.forEach((u) => u());
  }, [api]);
  return heads;
}

/**
 * Runs `load` now and again at every finalized block; returns its latest result (undefined
 * until the first load ends) and the error of the last failed load.
 */
export function useFinalized<T>(api: ApiPromise, load: () => Promise<T>, deps: unknown[] = []): [T | undefined, string | null] {
  const [value, setValue] = useState<T | undefined>(undefined);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let alive = true;
    let unsub: (() => void) | undefined;
    const run = () =>
      load().then(
        (v) => { if (alive) { setValue(v); setError(null); } },
        (e) => { if (alive) setError(String(e?.message ?? e)); },
      );
    run();
    api.rpc.chain.subscribeFinalizedHeads(() => { run(); }).then((u) => { if (alive) unsub = u; else u(); });
    return () => { alive = false; unsub?.(); };
  }, [api, ...deps]);
  return [value, error];
}
