/** A progress bar on stderr: redrawn in place on a terminal, a line per 10% otherwise. */
export function progressBar(label: string): { update(done: number, total: number, note?: string): void; done(): void } {
  const tty = process.stderr.isTTY === true;
  let lastDecile = -1;
  return {
    update(done, total, note = "") {
      const fraction = total === 0 ? 1 : Math.min(1, done / total);
      const width = 30;
      const filled = Math.round(fraction * width);
      const line = `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${done}/${total} ${label} ${note}`;
      if (tty) {
        process.stderr.write(`\r${line}\u001b[K`);
      } else if (Math.floor(fraction * 10) > lastDecile) {
        lastDecile = Math.floor(fraction * 10);
        process.stderr.write(`${line}\n`);
      }
    },
    done() {
      if (tty) process.stderr.write("\n");
    },
  };
}
