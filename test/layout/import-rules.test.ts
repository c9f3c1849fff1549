/**
 * The layering rules of src/ (README, Layout), checked on every file's imports:
 * - only src/git runs git (simple-git, the runner) or writes git argv;
 * - a stage (enqueue, claim, run, collect) never imports another stage;
 * - the pure cores (protocol, qa) import nothing that does I/O.
 */
import test from 'ava';
import fs from 'node:fs';
import path from 'node:path';

const SRC = path.resolve('src');
const STAGES = ['enqueue', 'claim', 'run', 'collect'];
const PURE = ['protocol', 'qa'];
const IO_MODULES = /^(node:(fs|child_process|net|http|https|os|dgram|worker_threads)(\/.*)?|execa|simple-git|isomorphic-git|chokidar|@octokit\/.*)$/;
const IMPURE_FOLDERS = ['git', 'coord', 'host', 'forge', 'cli', 'fleet', 'status', 'demo', ...STAGES];
/** Words that start a git command line in an argv array: `['fetch', ...`, `['-c', 'protocol.version=2', ...`. */
const GIT_ARGV =
  /\[\s*'(-c|fetch|push|ls-remote|init|worktree|merge|merge-base|diff|cat-file|log|rev-parse|update-ref|for-each-ref|symbolic-ref|checkout|clean|commit|add|config|show|ls-tree|hash-object|mktree|commit-tree)'\s*,/;

function sourceFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(full);
    return entry.name.endsWith('.ts') ? [full] : [];
  });
}

interface SourceFile {
  rel: string;
  folder: string;
  text: string;
  imports: string[];
}

function read(file: string): SourceFile {
  const text = fs.readFileSync(file, 'utf8');
  const imports = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s*'([^']+)'|import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1] ?? m[2]);
  const rel = path.relative(SRC, file);
  return { rel, folder: rel.split(path.sep)[0], text, imports };
}

/** The top folder of src/ a relative import lands in, or undefined for a package. */
function targetFolder(file: SourceFile, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  const target = path.relative(SRC, path.resolve(SRC, path.dirname(file.rel), spec));
  return target.split(path.sep)[0];
}

const files = sourceFiles(SRC).map(read);

test('only src/git runs git: no git runner, simple-git or isomorphic-git import and no git argv elsewhere', (t) => {
  const offences: string[] = [];
  for (const file of files.filter((f) => f.folder !== 'git')) {
    for (const spec of file.imports) {
      if (spec === 'simple-git' || spec === 'isomorphic-git' || /\/git\/runner\.ts$/.test(spec)) offences.push(`${file.rel} imports ${spec}`);
    }
    file.text.split('\n').forEach((line, index) => {
      if (GIT_ARGV.test(line) && /\bgit\b|argv|args/i.test(line)) offences.push(`${file.rel}:${index + 1} builds git argv: ${line.trim()}`);
    });
    if (/execa\(\s*'git'/.test(file.text)) offences.push(`${file.rel} spawns git with execa`);
  }
  t.deepEqual(offences, []);
});

test('a stage never imports another stage', (t) => {
  const offences: string[] = [];
  for (const file of files.filter((f) => STAGES.includes(f.folder))) {
    for (const spec of file.imports) {
      const folder = targetFolder(file, spec);
      if (folder && STAGES.includes(folder) && folder !== file.folder) offences.push(`${file.rel} imports ${spec}`);
    }
  }
  t.deepEqual(offences, []);
});

test('the pure cores import nothing with I/O', (t) => {
  const offences: string[] = [];
  for (const file of files.filter((f) => PURE.includes(f.folder))) {
    for (const spec of file.imports) {
      const folder = targetFolder(file, spec);
      if (IO_MODULES.test(spec) || (folder && IMPURE_FOLDERS.includes(folder))) offences.push(`${file.rel} imports ${spec}`);
    }
  }
  t.deepEqual(offences, []);
});

test('the rules see what they check: the scan finds the files and their imports', (t) => {
  t.true(files.length > 50);
  t.true(files.some((f) => f.folder === 'git' && f.imports.includes('simple-git')));
  t.true(files.some((f) => f.folder === 'claim' && f.imports.some((spec) => targetFolder(f, spec) === 'coord')));
  t.regex("await git(['fetch', remote])", GIT_ARGV);
});
