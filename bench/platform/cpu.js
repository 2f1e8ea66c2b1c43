// CPU time used by a process and its direct children (the platform and the instances its
// director started), read from /proc. On a small or shared machine the throughput moves with
// whatever else runs; CPU time per prediction moves much less, so the bench reports both.
// Linux only: elsewhere every reading is null and the column says n/a.
import { readdirSync, readFileSync } from 'node:fs';

// USER_HZ: 100 on every Linux that Node supports in practice (getconf CLK_TCK).
const TICK_MS = 10;

/** Milliseconds of CPU (user + system) used so far by `pid` and by its live children; null where /proc is missing. */
export function cpuMs(pid, { children = false } = {}) {
  const own = read(pid);
  if (own === null) return null;
  let ticks = own.ticks;
  if (children) {
    for (const entry of safeReaddir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const stat = read(Number(entry));
      if (stat && stat.ppid === pid) ticks += stat.ticks;
    }
  }
  return ticks * TICK_MS;
}

/** CPU used by the bench process itself, in ms. */
export function ownCpuMs() {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}

function read(pid) {
  let text;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name is in parentheses and may hold spaces: the fields start after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state): ppid is field 4, utime 14, stime 15.
  return { ppid: Number(fields[1]), ticks: Number(fields[11]) + Number(fields[12]) };
}

function safeReaddir(dir) {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
