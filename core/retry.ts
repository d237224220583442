/** Retries `fn` while `isRetriable(err)`, with exponential backoff and jitter; rethrows the last error. */
export async function retrying<T>(
  fn: () => Promise<T>,
  options: { attempts: number; baseMs: number; maxMs: number; isRetriable: (err: unknown) => boolean; onRetry?: (err: unknown, attempt: number) => void },
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (err) {
      if (attempt >= options.attempts || !options.isRetriable(err)) throw err;
      options.onRetry?.(err, attempt);
      const delay = Math.min(options.maxMs, options.baseMs * 2 ** (attempt - 1));
      await new Promise((r) => setTimeout(r, delay / 2 + Math.random() * (delay / 2)));
    }
  }
}
