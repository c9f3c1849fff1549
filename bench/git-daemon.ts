/** What a benchmark reads of a git daemon (test/helpers/git-daemon.ts starts it). */
import fs from 'node:fs';

/**
 * CPU seconds (user + system) of the daemon's finished children: every
 * connection is a child that runs receive-pack or upload-pack and whatever
 * they start, and the daemon collects their times when it reaps them.
 */
export function childrenCpuSec(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; cutime and cstime are fields 16 and 17.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[13]) + Number(fields[14]);
  return ticks / 100;
}
