// Where the sync server reports what it drops, refuses or fails at: an injected logger (the service's),
// the console by default, or silence (tests).

export interface SyncLogger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export const consoleLogger: SyncLogger = {
  info: (m) => console.info(`[sync] ${m}`),
  warn: (m) => console.warn(`[sync] ${m}`),
  error: (m) => console.error(`[sync] ${m}`),
};

export const silentLogger: SyncLogger = { info: () => {}, warn: () => {}, error: () => {} };

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
