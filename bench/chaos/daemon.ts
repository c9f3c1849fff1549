import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const BIN = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', '..', 'bin', 'refci.js');

export interface UnexpectedExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines it wrote, for the report. */
  last: string[];
}

/**
 * One refci daemon (`refci work`, `refci collect`) as a real process the
 * chaos run kills, pauses and restarts. Its output goes to a log file of its
 * own (kept across restarts) and, line by line, to `onLine`. An exit the run
 * did not cause is reported to `onUnexpectedExit`: a daemon must outlive a
 * network cut or a paused peer.
 */
export class Daemon {
  private child?: ChildProcess;
  private expected = false;
  private last: string[] = [];
  private exited?: Promise<void>;
  paused = false;

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: NodeJS.ProcessEnv,
    private readonly logFile: string,
    private readonly onLine: (daemon: Daemon, line: string) => void,
    private readonly onUnexpectedExit: (exit: UnexpectedExit) => void,
  ) {}

  get running(): boolean {
    return this.child !== undefined;
  }

  start(): void {
    if (this.child) return;
    this.expected = false;
    this.paused = false;
    // A process group of its own: a kill or a pause takes its git processes with it, as when a host dies or freezes.
    const child = spawn(process.execPath, [BIN, ...this.args], { env: this.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    this.child = child;
    const log = fs.createWriteStream(this.logFile, { flags: 'a' });
    log.write(`--- started ${new Date().toISOString()} pid ${child.pid}\n`);
    for (const stream of [child.stdout!, child.stderr!]) {
      let rest = '';
      stream.on('data', (chunk: Buffer) => {
        log.write(chunk);
        const lines = (rest + chunk.toString()).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          this.last = [...this.last.slice(-4), line];
          this.onLine(this, line);
        }
      });
    }
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        log.end(`--- exited ${new Date().toISOString()} code ${code} signal ${signal}\n`);
        this.child = undefined;
        this.paused = false;
        if (!this.expected) this.onUnexpectedExit({ name: this.name, code, signal, last: this.last });
        resolve();
      });
    });
  }

  /** SIGKILL: the host dies at once, whatever it was doing. */
  kill(): void {
    if (!this.child) return;
    this.expected = true;
    this.signalGroup('SIGKILL');
  }

  /** SIGSTOP: the process is frozen (a host that hangs, a VM paused), its children go on. */
  pause(): void {
    if (!this.child || this.paused) return;
    this.paused = true;
    this.signalGroup('SIGSTOP');
  }

  resume(): void {
    if (!this.child || !this.paused) return;
    this.paused = false;
    this.signalGroup('SIGCONT');
  }

  /** Signals the daemon and every process it started in its group (a step runs in a group of its own and goes on). */
  private signalGroup(signal: NodeJS.Signals): void {
    try {
      process.kill(-this.child!.pid!, signal);
    } catch {
      this.child?.kill(signal);
    }
  }

  /** SIGTERM, as systemd stops a service; SIGKILL after `graceMs`. Resolves whether it stopped by itself. */
  async stop(graceMs: number): Promise<boolean> {
    if (!this.child) return true;
    this.resume();
    this.expected = true;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const inTime = await Promise.race([this.exited!.then(() => true), new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), graceMs)))]);
    clearTimeout(timer);
    if (!inTime) {
      if (this.child) this.signalGroup('SIGKILL');
      await this.exited;
    }
    return inTime;
  }

  /** Waits for the process to end (after kill). */
  async gone(): Promise<void> {
    await this.exited;
  }
}
