/**
 * The last value of an async read, reused for `ttlMs` or until invalidated; concurrent callers
 * share one read, and a failed read is not kept (the next call tries again).
 */
export function cached<T>(read: () => Promise<T>, ttlMs: number) {
  let value: { promise: Promise<T>; at: number } | undefined;
  return {
    get(): Promise<T> {
      if (!value || performance.now() - value.at > ttlMs) {
        const promise = read();
        value = { promise, at: performance.now() };
        promise.catch(() => {
          if (value?.promise === promise) value = undefined;
        });
      }
      return value.promise;
    },
    invalidate(): void {
      value = undefined;
    },
  };
}
