/** Reading the JSON lines that REFCI_GIT_TRACE makes every refci process of a run append (src/git/observe.ts). */
import fs from 'node:fs';

export interface TraceLine {
  k: 'p' | 'ph';
  role: string;
  pid: number;
  at: number;
  op?: string;
  phase?: string;
  ms: number;
  jobs?: number;
}

export function readTrace(file: string, fromMs = 0): TraceLine[] {
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as TraceLine)
    .filter((line) => line.at >= fromMs);
}

export interface PhaseCost {
  phase: string;
  /** Wall time of the phase, summed over the run. */
  ms: number;
  /** Processes started inside it, by operation. */
  processes: Record<string, number>;
  /** Wall time of those processes, by operation. */
  processMs: Record<string, number>;
}

/** Wall time and processes per phase; processes outside any phase under `(none)`. */
export function costByPhase(lines: TraceLine[]): Map<string, PhaseCost> {
  const phases = new Map<string, PhaseCost>();
  const of = (phase: string) => phases.get(phase) ?? phases.set(phase, { phase, ms: 0, processes: {}, processMs: {} }).get(phase)!;
  for (const line of lines) {
    if (line.k === 'ph') of(line.phase!).ms += line.ms;
    else {
      const cost = of(line.phase ?? '(none)');
      cost.processes[line.op!] = (cost.processes[line.op!] ?? 0) + 1;
      cost.processMs[line.op!] = (cost.processMs[line.op!] ?? 0) + line.ms;
    }
  }
  return phases;
}

export function countOf(processes: Record<string, number>, op?: string): number {
  return op ? (processes[op] ?? 0) : Object.values(processes).reduce((a, b) => a + b, 0);
}
