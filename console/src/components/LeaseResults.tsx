/**
 * A lease's logs and result through its provider's gateway (`registry.gateways`): the log's
 * tail or followed live, and the output archive, downloaded and checked against the digest
 * `complete_lease` put on chain before it is offered to save.
 */
import type { ApiPromise } from '@polkadot/api';
import { useEffect, useRef, useState } from 'preact/hooks';
import { useFinalized } from '../chain';
import { chainDigest, colonHex, downloadOutput, gatewayOf, readLogs, type Download } from '../gateway';
import type { LeaseView } from '../market';
import type { Account } from '../wallet';

/** Largest log text kept on the page (older output is dropped from the top). */
const MAX_SHOWN = 256 << 10;

export function LeaseResults({ api, view, account }: { api: ApiPromise; view: LeaseView; account: Account }) {
  const [gw, gwError] = useFinalized(api, () => gatewayOf(api, view.provider), [view.provider]);
  const [log, setLog] = useState('');
  const [logState, setLogState] = useState<'idle' | 'reading' | 'following' | 'ended'>('idle');
  const [logNote, setLogNote] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [download, setDownload] = useState<Download | null>(null);
  const [fetching, setFetching] = useState(false);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);
  useEffect(() => () => { if (download) URL.revokeObjectURL(download.url); }, [download]);

  if (gwError) return <section><h2>Logs and result</h2><p class="error">{gwError}</p></section>;
  if (gw === undefined) return null;
  if (gw === null) {
    return (
      <section>
        <h2>Logs and result</h2>
        <p class="muted" data-testid="gateway-none">The provider registered no gateway: its logs and outputs cannot be reached from here.</p>
      </section>
    );
  }

  const readLog = async (follow: boolean) => {
    abort.current?.abort();
    const ctrl = new AbortController();
    abort.current = ctrl;
    setLog('');
    setProblem(null);
    setLogNote(null);
    setLogState(follow ? 'following' : 'reading');
    try {
      const end = await readLogs(gw, account, view.id, {
        follow,
        signal: ctrl.signal,
        onText: (t) => setLog((l) => (l + t).slice(-MAX_SHOWN)),
      });
      if (end) setLogNote(`The job is ${end.state ?? 'gone'}${end.exit_code !== null && end.exit_code !== undefined ? ` (exit code ${end.exit_code})` : ''}.`);
      setLogState('ended');
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setProblem((e as Error).message);
      setLogState('idle');
    }
  };

  const fetchResult = async () => {
    setFetching(true);
    setProblem(null);
    try {
      setDownload(await downloadOutput(gw, account, view.id, chainDigest(view.result)));
    } catch (e) {
      setProblem((e as Error).message);
    } finally {
      setFetching(false);
    }
  };

  const expected = chainDigest(view.result);
  return (
    <section>
      <h2>Logs and result</h2>
      <p class="muted">
        Through the provider's gateway <span class="mono" data-testid="gateway-url">{gw.url}</span>, certificate SHA-256{' '}
        <span class="mono" data-testid="gateway-fingerprint">{colonHex(gw.tlsSha256)}</span> (registered on chain). Each request is signed by this account.
      </p>
      <div class="row">
        <button type="button" data-testid="logs-tail" disabled={logState === 'reading'} onClick={() => void readLog(false)}>Show logs</button>
        <button type="button" data-testid="logs-follow" disabled={logState === 'following'} onClick={() => void readLog(true)}>Follow logs</button>
        {logState === 'following' && <button type="button" onClick={() => { abort.current?.abort(); setLogState('idle'); }}>Stop</button>}
        <button type="button" data-testid="result-fetch" disabled={fetching || !expected} onClick={() => void fetchResult()}>
          {expected ? `Download result (${expected.size} bytes)` : 'No result on chain yet'}
        </button>
      </div>
      {problem && <p class="error" data-testid="gateway-problem">{problem}</p>}
      {(log || logState !== 'idle') && <pre class="log" data-testid="lease-logs" data-state={logState}>{log}</pre>}
      {logNote && <p class="muted" data-testid="logs-end">{logNote}</p>}
      {download && (
        <p data-testid="result-check" data-matches={String(download.matches)} class={download.matches ? '' : 'error'}>
          {download.matches
            ? <>SHA-256 <span class="mono">{download.sha256}</span> and size {download.size} bytes match the chain. </>
            : <>The download does not match the chain (SHA-256 {download.sha256}, {download.size} bytes; the chain has {expected?.sha256 ?? 'none'}): do not trust it. </>}
          <a href={download.url} download={`lease-${view.id}-out.tar.zst`} data-testid="result-save">Save lease-{view.id}-out.tar.zst</a>
        </p>
      )}
    </section>
  );
}
