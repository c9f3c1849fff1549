import fs from 'node:fs';
import path from 'node:path';

/** The executable file `name` resolves to on a search path, or undefined. */
export function findOnPath(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // Not here.
    }
  }
  return undefined;
}

/**
 * What a program name stands for on this host now: the file it resolves to
 * (through PATH for a bare name) with its size and change time, or that it is
 * missing. A probe's answer (a tool's version, whether the sandbox works) is
 * kept under it: a program installed, updated or moved gets another identity
 * and is asked again. No process is started.
 */
export function programIdentity(program: string, env: NodeJS.ProcessEnv): string {
  const file = program.includes('/') ? path.resolve(program) : findOnPath(program, env.PATH ?? '');
  if (!file) return `missing:${program}`;
  try {
    const stat = fs.statSync(file);
    return `${file}:${stat.size}:${Math.round(stat.mtimeMs)}:${Math.round(stat.ctimeMs)}`;
  } catch {
    return `missing:${file}`;
  }
}
