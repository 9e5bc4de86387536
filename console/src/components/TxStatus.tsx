/** A transaction's progress line: signing, in the pool, in block #n, finalized, or why it failed. */
import type { TxState } from '../tx';

const WORDS: Record<TxState['stage'], string> = {
  signing: 'Waiting for the signature…',
  ready: 'Sent; waiting for a block…',
  inBlock: 'In block',
  finalized: 'Finalized in block',
  failed: 'Failed',
};

/** Shows `state` (nothing before the first transaction). */
export function TxStatus({ state }: { state: TxState | null }) {
  if (!state) return null;
  return (
    <div class="tx" data-testid="tx-status" data-stage={state.stage}>
      <span class="mono">{state.what}</span>: {WORDS[state.stage]}
      {state.block !== undefined && state.stage !== 'failed' ? ` #${state.block}` : ''}
      {state.error ? `: ${state.error}` : ''}
    </div>
  );
}
