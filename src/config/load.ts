import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';
import { defaultConfig } from './defaults.ts';
import { checkConfigText, describeProblems, type ConfigCheck } from './schema.ts';
import type { FleetConfig } from './types.ts';

/**
 * Checks a configuration file on disk. Files named by `gentoo.classes` and
 * `gentoo.excludes` are read from beside it, as they would be from the
 * configuration branch's tree.
 */
export function checkConfigFile(file: string, mode: 'whole' | 'overlay'): ConfigCheck {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new RefciError('invalid-input', `cannot read configuration ${file}: ${(error as NodeJS.ErrnoException).code}`, 'check the path');
  }
  const dir = path.dirname(path.resolve(file));
  return checkConfigText(text, {
    file: path.basename(file),
    mode,
    readFile: (name) => {
      try {
        return fs.readFileSync(path.join(dir, name), 'utf8');
      } catch {
        return undefined;
      }
    },
  });
}

/**
 * The local override (`--config FILE`): the file's pipelines and tools are
 * added to the built-in defaults by name. Without a file, the defaults. An
 * invalid file is an `invalid-config` error naming the file, field and reason.
 */
export function loadConfigFile(file: string | undefined): FleetConfig {
  if (!file) return defaultConfig();
  const checked = checkConfigFile(file, 'overlay');
  if (!checked.ok) throw new RefciError('invalid-config', `configuration refused: ${describeProblems(checked.problems)}`, 'fix the file');
  return checked.config;
}
