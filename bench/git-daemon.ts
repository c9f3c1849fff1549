/** A `git daemon` for the benchmarks: a server the hosts reach by git://, whose processes' CPU time can be read. */
import { execa } from 'execa';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export interface GitDaemon {
  pid: number;
  url: (repo: string) => string;
  stop: () => Promise<void>;
}

/** `git daemon` serving `dir` with pushes enabled, on a free port; its URL base and how to stop it. */
export async function gitDaemon(dir: string): Promise<GitDaemon> {
  const port = await new Promise<number>((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const { port: free } = server.address() as net.AddressInfo;
      server.close(() => resolve(free));
    });
    server.on('error', reject);
  });
  // git-daemon itself, not `git daemon` (which would wait for it as its child): its pid reads its children's CPU time.
  const program = path.join((await execa('git', ['--exec-path'])).stdout.trim(), 'git-daemon');
  const daemon = execa(program, ['--reuseaddr', '--listen=127.0.0.1', `--port=${port}`, '--export-all', '--enable=receive-pack', `--base-path=${dir}`, dir], { reject: false });
  for (let i = 0; i < 200; i++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    pid: daemon.pid!,
    url: (repo) => `git://127.0.0.1:${port}/${repo}`,
    stop: async () => {
      daemon.kill('SIGTERM');
      await daemon;
    },
  };
}


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
