import { MAX_RECORD_BYTES } from './codec.ts';

/**
 * How big a commit pushed to the coordination repository may be. Every host
 * reads records of any size without harm (decodeRecord refuses a file over
 * MAX_RECORD_BYTES), but a repository that accepted anything would let one
 * key fill the disk of every host that fetches it; the repository's hook
 * refuses commits over these limits at the door (docs/protocol.md,
 * Authorisation).
 */

/** Files in the tree of a job, cancel, presence, drain or doctor commit. */
export const MAX_RECORD_FILES = 16;
/** Files in the tree of a lock commit: `lock.json`, and in a heartbeat the live log (`live-logs.json`, one tail per step of a result's 64). */
export const MAX_LOCK_FILES = 2 + 64;
/** Files in the tree of a result commit: `result.json` and at most 256 artifacts (the result schema's limit). */
export const MAX_RESULT_FILES = 1 + 256;
/** Files in the tree of a configuration commit, and the size of each. */
export const MAX_CONFIG_FILES = 16;
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** A step's log is cut to logCapBytes plus the one `[refci: ... bytes cut ...]` line. */
export const LOG_CUT_LINE_BYTES = 4096;
/** A step's stdout artifact joins the outputs of its runs (a gentoo scan runs at most twice), each cut at artifactCapBytes. */
export const ARTIFACT_RUNS = 4;

/** The caps of the configuration the repository holds. */
export interface ArtifactCaps {
  logCapBytes: number;
  artifactCapBytes: number;
  /** A heartbeat's tail of each step's log (docs/protocol.md, the live log). */
  liveLogBytes: number;
}

/** One entry of a commit's tree, listed recursively: a file (`100644`, `100755`), a symlink (`120000`) or a submodule (`160000`). */
export interface TreeFile {
  path: string;
  mode: string;
  /** Bytes of a blob; undefined for a submodule. */
  size?: number;
}

export type TreeShape = 'record' | 'lock' | 'result' | 'config';

export function maxFilesOf(shape: TreeShape): number {
  return { record: MAX_RECORD_FILES, lock: MAX_LOCK_FILES, result: MAX_RESULT_FILES, config: MAX_CONFIG_FILES }[shape];
}

/** The largest a file of this shape's tree may be. */
export function maxFileBytes(shape: TreeShape, path: string, caps: ArtifactCaps): number {
  if (shape === 'config') return MAX_CONFIG_FILE_BYTES;
  if (shape === 'lock') return /^logs\/[^/]+\.log$/.test(path) ? caps.liveLogBytes : MAX_RECORD_BYTES;
  if (shape === 'record' || path === 'result.json') return MAX_RECORD_BYTES;
  if (/^logs\/[^/]+\.log$/.test(path)) return caps.logCapBytes + LOG_CUT_LINE_BYTES;
  return caps.artifactCapBytes * ARTIFACT_RUNS;
}

/**
 * Why a commit's tree breaks the limits of its shape, or undefined. `files`
 * holds at most one entry more than the limit allows (the listing stops
 * there), which is enough to tell "too many".
 */
export function treeProblem(shape: TreeShape, files: readonly TreeFile[], caps: ArtifactCaps): string | undefined {
  const max = maxFilesOf(shape);
  if (files.length > max) return `its tree holds more than ${max} files, the limit of a ${shape} commit`;
  for (const file of files) {
    if (file.mode === '120000') return `its tree holds ${file.path}, a symlink; record trees hold only files`;
    if (file.mode === '160000' || file.size === undefined) return `its tree holds ${file.path}, a submodule; record trees hold only files`;
    const limit = maxFileBytes(shape, file.path, caps);
    if (file.size > limit) return `${file.path} is ${file.size} bytes, more than the limit of ${limit}`;
  }
  return undefined;
}
