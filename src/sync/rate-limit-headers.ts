// What an upstream says about its limits: Retry-After (RFC 9110) and the RateLimit fields of
// draft-ietf-httpapi-ratelimit-headers. Hugging Face sends the draft-09 form
// (`RateLimit: "api";r=0;t=55`, `RateLimit-Policy: "fixed window";"api";q=500;w=300`); older
// drafts' forms (`limit=100, remaining=0, reset=30`, or RateLimit-Remaining / RateLimit-Reset)
// are read too, since a mirror may send them.

/** How long Retry-After asks to wait, in ms: delta-seconds or an HTTP date; undefined when absent or unreadable. */
export function retryAfterMs(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** The current window as the upstream counts it. */
export interface RateLimitWindow {
  /** Requests left in the window. */
  remaining: number;
  /** Until the window resets, in ms. */
  resetMs: number;
  /** The policy as sent (for messages), when sent. */
  policy: string | undefined;
}

const param = (item: string, name: string) => {
  const match = new RegExp(`(?:^|[;,\\s])${name}=(\\d+)`).exec(item);
  return match?.[1] === undefined ? undefined : Number(match[1]);
};

/**
 * The window of the most exhausted policy the headers describe (the fewest requests left);
 * undefined when they describe none.
 */
export function rateLimitOf(headers: Headers): RateLimitWindow | undefined {
  const policy = headers.get('ratelimit-policy') ?? undefined;
  const field = headers.get('ratelimit');
  const windows: RateLimitWindow[] = [];
  if (field) {
    // draft-09 and later: one list member per policy, `"name";r=..;t=..`.
    for (const item of field.split(',')) {
      const remaining = param(item, 'r');
      const reset = param(item, 't');
      if (remaining !== undefined) windows.push({ remaining, resetMs: (reset ?? 0) * 1000, policy });
    }
    // Earlier drafts: `limit=.., remaining=.., reset=..` in one field.
    const remaining = param(field, 'remaining');
    if (windows.length === 0 && remaining !== undefined) {
      windows.push({ remaining, resetMs: (param(field, 'reset') ?? 0) * 1000, policy });
    }
  }
  const remaining = headers.get('ratelimit-remaining');
  if (windows.length === 0 && remaining !== null && /^\d+$/.test(remaining.trim())) {
    const reset = headers.get('ratelimit-reset')?.trim();
    windows.push({
      remaining: Number(remaining),
      resetMs: reset && /^\d+$/.test(reset) ? Number(reset) * 1000 : 0,
      policy,
    });
  }
  return windows.sort((a, b) => a.remaining - b.remaining || b.resetMs - a.resetMs)[0];
}
