// Exponential backoff with jitter, the same shape socket.io-client's Manager
// uses: delay = min(max, base * 2^attempt), then moved at random by up to
// +/- jitter * delay, so that many clients cut off together (a deploy) do not
// all come back in the same millisecond.

export const DEFAULT_BACKOFF = Object.freeze({ baseMs: 500, maxMs: 5000, jitter: 0.5 });

/**
 * Delay before reconnect attempt number `attempt` (0 for the first one).
 * `random` is injectable for tests and must return a number in [0, 1).
 */
export function backoffDelay(attempt, { baseMs, maxMs, jitter } = DEFAULT_BACKOFF, random = Math.random) {
  const raw = Math.min(maxMs, baseMs * 2 ** Math.min(attempt, 31));
  const spread = raw * jitter * (2 * random() - 1);
  return Math.max(0, Math.min(maxMs, Math.round(raw + spread)));
}
