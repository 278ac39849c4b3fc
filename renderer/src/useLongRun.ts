import { useCallback, useRef, useState } from 'react';

export interface LongRun<P> {
  progress: P | null;
  error: string | null;
  running: boolean;
  /** Start work that reports progress and stops on the signal; resolves to its result, or undefined if it failed or was cancelled. */
  start<T>(initial: P, work: (signal: AbortSignal, onProgress: (p: P) => void) => Promise<T>): Promise<T | undefined>;
  cancel(): void;
}

/** Long engine work as the views show it: a progress line, a Cancel button, and the error if it fails. */
export function useLongRun<P>(): LongRun<P> {
  const [progress, setProgress] = useState<P | null>(null);
  const [error, setError] = useState<string | null>(null);
  const controller = useRef<AbortController | null>(null);
  const start = useCallback(async <T,>(initial: P, work: (signal: AbortSignal, onProgress: (p: P) => void) => Promise<T>): Promise<T | undefined> => {
    const current = new AbortController();
    controller.current = current;
    setError(null);
    setProgress(initial);
    try {
      return await work(current.signal, setProgress);
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
      return undefined;
    } finally {
      if (controller.current === current) controller.current = null;
      setProgress(null);
    }
  }, []);
  const cancel = useCallback(() => controller.current?.abort(), []);
  return { progress, error, running: progress !== null, start, cancel };
}
