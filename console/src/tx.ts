/** Submitting transactions with visible progress, and errors in words. */
import type { ApiPromise } from '@polkadot/api';
import type { SubmittableExtrinsic } from '@polkadot/api/types';
import type { DispatchError } from '@polkadot/types/interfaces';
import { type Account, signingFor } from './wallet';

/** Where a transaction stands. */
export interface TxState {
  /** signing → ready (in the pool) → inBlock → finalized, or failed at any point. */
  stage: 'signing' | 'ready' | 'inBlock' | 'finalized' | 'failed';
  /** What it does, e.g. "dpos.vote". */
  what: string;
  /** The block it is in. */
  block?: number;
  /** Why it failed, in words. */
  error?: string;
}

/** A dispatch error as "pallet.Name: its documentation", e.g. "dpos.InsufficientBalance: …". */
export function explain(api: ApiPromise, err: DispatchError): string {
  if (err.isModule) {
    const meta = api.registry.findMetaError(err.asModule);
    const words = meta.docs.join(' ').trim();
    return `${meta.section}.${meta.name}${words ? `: ${words}` : ''}`;
  }
  if (err.isToken) return `token.${err.asToken.type}`;
  if (err.isArithmetic) return `arithmetic.${err.asArithmetic.type}`;
  return err.type;
}

/**
 * Signs `tx` with `account` and follows it to finality, reporting each stage to `onState`.
 * Resolves with the final state (finalized or failed); never throws.
 */
export async function submit(
  api: ApiPromise,
  account: Account,
  tx: SubmittableExtrinsic<'promise'>,
  onState: (s: TxState) => void,
): Promise<TxState> {
  const what = `${tx.method.section}.${tx.method.method}`;
  onState({ stage: 'signing', what });
  return new Promise<TxState>((resolve) => {
    let unsub: (() => void) | undefined;
    let block: number | undefined;
    const end = (s: TxState) => {
      unsub?.();
      onState(s);
      resolve(s);
    };
    signingFor(account)
      .then(({ signer, options }) =>
        tx.signAndSend(signer, { ...options, nonce: -1 }, (result) => {
          const { status, dispatchError } = result;
          if (status.isReady || status.isBroadcast) {
            onState({ stage: 'ready', what });
          } else if (status.isInBlock || status.isFinalized) {
            const hash = status.isInBlock ? status.asInBlock : status.asFinalized;
            const finalized = status.isFinalized;
            api.rpc.chain.getHeader(hash).then((h) => {
              block = h.number.toNumber();
              if (dispatchError) end({ stage: 'failed', what, block, error: explain(api, dispatchError) });
              else if (finalized) end({ stage: 'finalized', what, block });
              else onState({ stage: 'inBlock', what, block });
            });
          } else if (status.isInvalid || status.isDropped || status.isUsurped) {
            end({ stage: 'failed', what, block, error: `the transaction was ${status.type.toLowerCase()}` });
          }
        }),
      )
      .then((u) => { unsub = u; })
      .catch((e: unknown) => end({ stage: 'failed', what, error: e instanceof Error ? e.message : String(e) }));
  });
}
