import { useCallback, useEffect, useRef, useState } from 'react';
import type { LogLine } from './api';

/** Lines kept in the page; older ones are dropped (the server keeps its own 1000). */
export const MAX_LINES = 2000;
const FIRST_RETRY_MS = 1000;
const MAX_RETRY_MS = 30_000;

/** A line shown in the viewer: from the server, or a notice of our own (drop, reconnect). */
export interface ShownLine extends LogLine {
  key: number;
  /** Set for lines that tell of missed output: the server's "lines skipped" and our reconnects. */
  notice?: boolean;
}

export type StreamState =
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; attempt: number; retryAt: number };

/** The server's notice when this client read too slowly (`deploy/logs.rs`). */
const SKIPPED = /^… \d+ lines skipped/;

/** An RFC 3339 UTC time with its fraction padded to 9 digits, so times compare as strings. */
export function sortableAt(at: string): string {
  return at.replace(/(\.\d+)?Z$/, (_, fraction: string | undefined) => `${(fraction ?? '.').padEnd(10, '0')}Z`);
}

/** `ws://` or `wss://` on this origin. */
export function logsUrl(loc: Pick<Location, 'protocol' | 'host'> = window.location): string {
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}/api/v1/deploy/logs`;
}

/** Delay before reconnect attempt `attempt` (1-based): doubling from 1 s, at most 30 s. */
export function backoff(attempt: number): number {
  return Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** Math.max(0, attempt - 1));
}

/**
 * Follows `GET /api/v1/deploy/logs`. On a drop it reconnects with backoff; the
 * server starts every connection with its recent lines, so lines already shown
 * (up to the last timestamp seen) are skipped. While `paused`, new lines wait
 * aside and are added on resume.
 */
export function useLogStream(paused: boolean) {
  const [lines, setLines] = useState<ShownLine[]>([]);
  const [pending, setPending] = useState(0);
  const [stream, setStream] = useState<StreamState>({ state: 'connecting' });
  const held = useRef<ShownLine[]>([]);
  const pausedRef = useRef(paused);
  const nextKey = useRef(0);
  const retry = useRef<() => void>(() => {});
  // The newest timestamp shown, and how many lines carried it: a reconnect resends the recent lines.
  const last = useRef({ at: '', count: 0 });

  const append = useCallback((batch: ShownLine[]) => {
    setLines((old) => {
      const all = old.concat(batch);
      return all.length > MAX_LINES ? all.slice(all.length - MAX_LINES) : all;
    });
  }, []);

  useEffect(() => {
    pausedRef.current = paused;
    if (!paused && held.current.length) {
      append(held.current);
      held.current = [];
      setPending(0);
    }
  }, [paused, append]);

  useEffect(() => {
    let socket: WebSocket | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let attempt = 0;
    let stopped = false;

    const add = (line: ShownLine) => {
      if (pausedRef.current) {
        held.current.push(line);
        if (held.current.length > MAX_LINES) held.current.shift();
        setPending(held.current.length);
      } else {
        append([line]);
      }
    };
    const notice = (text: string) =>
      add({ key: nextKey.current++, at: new Date().toISOString(), source: 'stream', line: text, notice: true });

    const connect = () => {
      setStream(attempt === 0 ? { state: 'connecting' } : { state: 'reconnecting', attempt, retryAt: 0 });
      const ws = new WebSocket(logsUrl());
      socket = ws;
      let seenAtLast = 0;
      ws.onopen = () => {
        if (attempt > 0) notice('Reconnected to the log stream; lines written while it was down may be missing.');
        attempt = 0;
        setStream({ state: 'open' });
      };
      ws.onmessage = (event) => {
        let line: LogLine;
        try {
          line = JSON.parse(String(event.data)) as LogLine;
        } catch {
          return;
        }
        // Already shown before the drop: older than the last line, or one of the lines sharing its timestamp.
        const seen = last.current;
        const at = sortableAt(line.at);
        if (at < seen.at) return;
        if (at === seen.at) {
          seenAtLast++;
          if (seenAtLast <= seen.count) return;
          seen.count++;
        } else {
          last.current = { at, count: 1 };
          seenAtLast = 1;
        }
        add({ ...line, key: nextKey.current++, notice: SKIPPED.test(line.line) });
      };
      ws.onclose = () => {
        if (stopped || socket !== ws) return;
        attempt++;
        const delay = backoff(attempt);
        if (attempt === 1) notice('The log stream was interrupted; reconnecting…');
        setStream({ state: 'reconnecting', attempt, retryAt: Date.now() + delay });
        timer = setTimeout(() => {
          timer = undefined;
          connect();
        }, delay);
      };
    };
    // "Reconnect now": skip the rest of the backoff wait (only while waiting).
    retry.current = () => {
      if (timer === undefined) return;
      clearTimeout(timer);
      timer = undefined;
      connect();
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(timer);
      socket?.close();
    };
  }, [append]);

  const clear = useCallback(() => {
    setLines([]);
    held.current = [];
    setPending(0);
  }, []);

  /** Reconnects at once instead of waiting for the backoff. */
  const reconnect = useCallback(() => retry.current(), []);

  return { lines, pending, stream, clear, reconnect };
}
