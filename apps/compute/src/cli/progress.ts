// Progress on the terminal: a redrawn bar when stderr is a TTY, otherwise one plain line per 10 %.

export interface Progress {
  update(done: number, total: number): void;
  finish(message: string): void;
}

export function createProgress(
  label: string,
  unit = "blocks",
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  const start = performance.now();
  let lastDecile = -1;
  const elapsed = () => `${((performance.now() - start) / 1000).toFixed(1)} s`;
  return {
    update(done, total) {
      const frac = total > 0 ? done / total : 1;
      if (stream.isTTY) {
        const width = 30;
        const filled = Math.round(frac * width);
        stream.write(
          `\r${label} [${"#".repeat(filled)}${" ".repeat(width - filled)}] ${(frac * 100).toFixed(0).padStart(3)}% ${done}/${total} ${elapsed()}`,
        );
      } else {
        const decile = Math.floor(frac * 10);
        if (decile !== lastDecile) {
          lastDecile = decile;
          stream.write(`${label}: ${(frac * 100).toFixed(0)}% (${done}/${total} ${unit}, ${elapsed()})\n`);
        }
      }
    },
    finish(message) {
      if (stream.isTTY) stream.write("\n");
      stream.write(`${message} (${elapsed()})\n`);
    },
  };
}
