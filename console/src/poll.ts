// Live data for the pages: usePoll runs a request now and every intervalMs while the page is
// shown (and the tab visible), keeps the last good answer beside the last error, and stops
// when the component goes away. No request is made while no page is open.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import type { ApiError } from './api';

export interface Polled<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  refresh: () => void;
}

export function usePoll<T>(load: () => Promise<T>, intervalMs: number, deps: readonly unknown[] = []): Polled<T> {
  const [state, setState] = useState<{ data: T | null; error: ApiError | null; loading: boolean }>({ data: null, error: null, loading: true });
  const gen = useRef(0);
  const run = useCallback(() => {
    const mine = ++gen.current;
    load().then(
      (data) => mine === gen.current && setState({ data, error: null, loading: false }),
      (error: ApiError) => mine === gen.current && setState((s) => ({ data: s.data, error, loading: false })),
    );
    // `load` is a new closure each render; `deps` say when it means another request.
  }, deps);
  useEffect(() => {
    setState({ data: null, error: null, loading: true });
    run();
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') run();
    }, intervalMs);
    return () => {
      clearInterval(timer);
      gen.current++;
    };
  }, [run, intervalMs]);
  return { ...state, refresh: run };
}
