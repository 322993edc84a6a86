/**
 * Progress bars with ETA for long runs. On a terminal one status line is redrawn;
 * elsewhere (CI logs, notebooks) lines are printed at most every `intervalMs`.
 */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
  return `${Math.floor(seconds / 3600)}h${String(Math.round((seconds % 3600) / 60)).padStart(2, '0')}m`;
}

export function bar(fraction: number, width = 20): string {
  const f = Math.max(0, Math.min(1, fraction));
  const full = Math.round(f * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}] ${(100 * f).toFixed(0).padStart(3)}%`;
}

/** ETA from elapsed time and fraction done (linear extrapolation). */
export function eta(elapsedSeconds: number, fraction: number): number {
  return fraction > 0 ? (elapsedSeconds * (1 - fraction)) / fraction : NaN;
}

export class StatusLine {
  private last = 0;
  private readonly tty: boolean;
  constructor(
    private readonly stream: NodeJS.WriteStream = process.stderr,
    private readonly intervalMs = 10000,
  ) {
    this.tty = Boolean(stream.isTTY);
  }
  /** Show a status (throttled off-terminal unless `force`). */
  update(text: string, force = false): void {
    const now = Date.now();
    if (this.tty) {
      if (now - this.last < 100 && !force) return;
      this.stream.write(`\r\x1b[K${text.slice(0, (this.stream.columns ?? 160) - 1)}`);
    } else {
      if (now - this.last < this.intervalMs && !force) return;
      this.stream.write(`${text}\n`);
    }
    this.last = now;
  }
  /** Print a permanent line above the status. */
  log(text: string): void {
    this.stream.write(this.tty ? `\r\x1b[K${text}\n` : `${text}\n`);
  }
  done(): void {
    if (this.tty) this.stream.write('\r\x1b[K');
  }
}
