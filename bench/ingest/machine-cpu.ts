import { readdirSync, readFileSync } from "node:fs";

/** Cumulative CPU ticks of the whole machine (Linux /proc/stat), all cores. */
export interface MachineTicks { busy: number; iowait: number; total: number }

/** The machine's CPU counters now; zeros where /proc/stat is unavailable (not Linux). */
export function machineTicks(): MachineTicks {
  let line: string;
  try {
    line = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
  } catch {
    return { busy: 0, iowait: 0, total: 0 };
  }
  // cpu  user nice system idle iowait irq softirq steal …
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = line.trim().split(/\s+/).slice(1).map(Number);
  const busy = user + nice + system + irq + softirq + steal;
  return { busy, iowait, total: busy + idle + iowait };
}

/** Share of all cores busy between `a` and `b` (0–1), and the share waiting on I/O. */
export function machineUse(a: MachineTicks, b: MachineTicks): { busy: number; iowait: number } {
  const total = b.total - a.total;
  return total <= 0 ? { busy: Number.NaN, iowait: Number.NaN } : { busy: (b.busy - a.busy) / total, iowait: (b.iowait - a.iowait) / total };
}

/**
 * CPU seconds (user+system) used so far by every process named `comm` (e.g. `postgres`,
 * whose backends do the database work); 0 where /proc is unavailable. Clock-tick
 * resolution (usually 10 ms), so use it over windows of thousands of calls.
 */
export function processCpuSeconds(comm: string): number {
  let ticks = 0;
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return 0;
  }
  for (const pid of entries) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      if (stat.slice(stat.indexOf("(") + 1, close) !== comm) continue;
      const fields = stat.slice(close + 2).split(" "); // fields[0] is field 3 (state)
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime: fields 14 and 15
    } catch {
      // the process exited while we looked
    }
  }
  return ticks / 100; // USER_HZ is 100 on Linux
}
