// Follows one row of the state browser live: reads the projection's change feed
// (GET /projections/{name}/changes?key=…, Server-Sent Events) with fetch, so the bearer token can
// be sent (EventSource cannot), and hands each change of that key to the caller. Must not touch
// the page beyond the callbacks it is given.
import { token } from './api.js';

const API = new URL('..', window.location.href);

/** Starts following; returns a function that stops. `onState` gets 'live', 'ended' or 'unavailable'. */
export function followKey(projection, key, onChange, onState) {
  const abort = new AbortController();
  void (async () => {
    const headers = { accept: 'text/event-stream' };
    const t = token();
    if (t) headers.authorization = `Bearer ${t}`;
    const path = `projections/${encodeURIComponent(projection)}/changes?key=${encodeURIComponent(key)}`;
    let res;
    try {
      res = await fetch(new URL(path, API), { headers, signal: abort.signal, cache: 'no-store' });
    } catch {
      if (!abort.signal.aborted) onState('unavailable');
      return;
    }
    if (!res.ok || !res.body) {
      onState('unavailable');
      return;
    }
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        let end;
        while ((end = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          let event = 'message';
          const data = [];
          for (const line of block.split('\n')) {
            if (line.startsWith('event:')) event = line.slice(6).trim();
            else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          }
          if (event === 'ready') onState('live');
          else if (event === 'change' || event === 'snapshot') onChange(JSON.parse(data.join('\n')));
          else if (event === 'end') onState('ended');
        }
      }
    } catch {
      // aborted, or the connection dropped
    }
    if (!abort.signal.aborted) onState('ended');
  })();
  return () => abort.abort();
}
