import type { JobLogView } from '../coord/follow-logs.ts';
import type { EndedJobLogs, JobLogs, OpenJobLogs } from '../coord/job-logs.ts';
import { RefciError } from '../errors.ts';
import { formatDuration } from '../protocol/duration.ts';
import { liveNews, restOfLog } from '../protocol/live-log.ts';

/**
 * Prints a job's logs for `refci logs`: a finished job's step logs whole, a
 * running job's live log, and, when following, only what is new at each look
 * and at the end what the result adds. Steps are sections under
 * `== <step> ==` lines; a step's text, joined across its sections, is its log.
 */
export class LogPrinter implements JobLogView {
  /** The attempt whose output was printed; a new attempt starts its steps over. */
  private attempt?: number;
  /** Bytes of each step's output printed so far. */
  private readonly printed = new Map<string, number>();
  /** The step whose section is open. */
  private section?: string;
  private lastStatus = '';

  constructor(
    private readonly id: string,
    private readonly out: (line: string) => void,
    private readonly options: { step?: string; follow: boolean },
  ) {}

  update(state: OpenJobLogs): void {
    if (state.state === 'queued') {
      this.status(`${this.id}: queued, waiting for a worker`);
      return;
    }
    const { lock, steps } = state.live;
    if (lock.attempt !== this.attempt) {
      this.attempt = lock.attempt;
      this.printed.clear();
      this.section = undefined;
    }
    if (lock.event === 'release') {
      this.status(`${this.id}: attempt ${lock.attempt} handed back by ${lock.worker}: ${lock.reasons?.at(-1) ?? 'a problem of its host'}; waiting for another worker`);
      return;
    }
    // Without --follow this is all there is: say how old it may be.
    const asOf = this.options.follow ? '' : ` (live log as of its last heartbeat${steps.length ? '' : ': no output yet'}; --follow follows it)`;
    this.status(`${this.id}: running, attempt ${lock.attempt} by ${lock.worker}${asOf}`);
    for (const step of steps) {
      if (!this.wanted(step.name)) continue;
      const news = liveNews(this.printed.get(step.name) ?? 0, step, { partial: !this.options.follow });
      if (news.text.length === 0) continue;
      this.open(step.name, `== ${step.name}${step.done ? '' : ' (running)'} ==`);
      if (news.skipped > 0) this.out(`[refci: ... ${news.skipped} bytes not shown ...]`);
      this.text(news.text);
      this.printed.set(step.name, news.printed);
    }
  }

  end(state: EndedJobLogs): void {
    if (state.state === 'cancelled') {
      this.out(`${this.id}: cancelled before it ran`);
      return;
    }
    if (state.state === 'archived') {
      this.out(`${this.id}: ${state.summary.verdict}: ${state.summary.reason} (archived; it never ran, so it has no log)`);
      return;
    }
    const { logs } = state;
    const steps = this.stepsOf(logs);
    if (this.attempt === undefined) {
      this.whole(logs, steps);
      return;
    }
    // A result of another attempt than the one shown (a takeover, a sweep): its logs are all new.
    if (logs.result.attempt !== this.attempt) this.printed.clear();
    for (const step of steps) {
      this.open(step.name, `== ${step.name} (${ending(step)}) ==`, true);
      if (step.log === undefined) {
        this.out('(no log kept)');
        continue;
      }
      const rest = restOfLog(this.printed.get(step.name) ?? 0, step.log, step);
      if (rest.skipped > 0) this.out(`[refci: ... ${rest.skipped} bytes not shown ...]`);
      if (rest.text.length > 0) this.text(rest.text);
    }
    this.out(`${this.id}: ${logs.result.status}: ${logs.result.reason}`);
  }

  /** A finished job nothing was shown of: the result line, then every step's log. */
  private whole(logs: JobLogs, steps: JobLogs['steps']): void {
    this.out(`${this.id}: ${logs.result.status}: ${logs.result.reason} (${logs.source === 'live' ? 'not archived yet' : 'archived'})`);
    for (const step of steps) {
      this.out(`== ${step.name} (${ending(step)}) ==`);
      this.out(step.log === undefined ? '(no log kept)' : step.log.toString('utf8').replace(/\n$/, ''));
    }
  }

  private stepsOf(logs: JobLogs): JobLogs['steps'] {
    const wanted = this.options.step;
    const steps = wanted ? logs.steps.filter((step) => step.name === wanted) : logs.steps;
    if (wanted && steps.length === 0) {
      throw new RefciError('not-found', `job ${this.id} has no step ${wanted}`, `its steps: ${logs.steps.map((step) => step.name).join(', ') || 'none'}`);
    }
    return steps;
  }

  private wanted(step: string): boolean {
    return this.options.step === undefined || this.options.step === step;
  }

  /** A status line, printed when it says something new (a follow looks often). */
  private status(line: string): void {
    if (line === this.lastStatus) return;
    this.lastStatus = line;
    this.section = undefined;
    this.out(line);
  }

  private open(step: string, heading: string, always = false): void {
    if (this.section === step && !always) return;
    this.section = step;
    this.out(heading);
  }

  /** Output as lines: the line break that ends it is the one printing adds. */
  private text(bytes: Buffer): void {
    this.out(bytes.toString('utf8').replace(/\n$/, ''));
  }
}

function ending(step: JobLogs['steps'][number]): string {
  return `${step.timedOut ? 'timed out' : `exit ${step.exitCode ?? '-'}`}, ${formatDuration(step.durationMs / 1000)}`;
}
