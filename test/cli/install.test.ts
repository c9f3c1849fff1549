import test, { type ExecutionContext } from 'ava';
import { execa } from 'execa';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { assertBuiltFrom } from '../helpers/built-cli.ts';
import { ROOT } from '../helpers/cli.ts';

/**
 * The package as `npm pack` ships it, unpacked into a read-only folder and run
 * as another user: the case of refci installed by root and run by `refci`,
 * where a launcher that writes into its own folder fails.
 */

type RunAs = { prefix: string[]; who: string } | { skip: string };

/** As root, run as nobody; otherwise as this user, for whom the folder is read-only too. */
function runAs(): RunAs {
  const uid = process.getuid?.();
  if (uid !== 0) return { prefix: [], who: `this user (uid ${uid}; not root, so no other user)` };
  const candidates = [
    ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'],
    ['runuser', '-u', 'nobody', '--'],
  ];
  for (const prefix of candidates) {
    const probe = spawnSync(prefix[0], [...prefix.slice(1), 'true']);
    if (probe.status === 0) return { prefix, who: 'nobody (uid 65534)' };
  }
  return { skip: 'running as root, and neither setpriv nor runuser can run a command as nobody' };
}

/** Every path below `dir` with its size and mtime; symlinks are listed, not followed. */
function snapshot(dir: string): string[] {
  const lines: string[] = [];
  const walk = (folder: string) => {
    for (const entry of fs.readdirSync(folder, { withFileTypes: true })) {
      const full = path.join(folder, entry.name);
      const stat = fs.lstatSync(full);
      lines.push(`${path.relative(dir, full)} ${stat.size} ${stat.mtimeMs}`);
      if (entry.isDirectory()) walk(full);
    }
  };
  walk(dir);
  return lines.sort();
}

function tempDir(t: ExecutionContext, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => {
    spawnSync('chmod', ['-R', 'u+w', dir]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}

/** Whether a user who is neither the owner nor in the group can reach and read `file`. */
function othersCanRead(file: string): boolean {
  let dir = path.dirname(path.resolve(file));
  while (true) {
    if ((fs.statSync(dir).mode & 0o001) === 0) return false;
    const parent = path.dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return (fs.statSync(file).mode & 0o004) !== 0;
}

/** Unpacks `npm pack` of this checkout into a fresh folder; its dependencies are this checkout's. */
async function installPacked(t: ExecutionContext): Promise<{ folder: string; pkg: string }> {
  assertBuiltFrom(ROOT);
  const folder = tempDir(t, 'refci-install-');
  // --ignore-scripts: `prepare` would rebuild dist/ under the other tests' feet.
  const packed = await execa('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', folder], { cwd: ROOT });
  const [{ filename }] = JSON.parse(String(packed.stdout)) as { filename: string }[];
  await execa('tar', ['-xzf', path.join(folder, filename), '-C', folder]);
  fs.rmSync(path.join(folder, filename));
  const pkg = path.join(folder, 'package');
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(pkg, 'node_modules'));
  // As npm links a global install: a symlink to the launcher on PATH.
  fs.mkdirSync(path.join(folder, '.bin'));
  fs.symlinkSync(path.join(pkg, 'bin', 'refci.js'), path.join(folder, '.bin', 'refci'));
  await execa('chmod', ['-R', 'a-w,a+rX', folder]);
  return { folder, pkg };
}

const as = runAs();

if ('skip' in as) {
  test.skip(`installed package runs read-only as another user: SKIPPED, ${as.skip}`, () => {});
} else {
  test(`installed package runs from a read-only folder as ${as.who}`, async (t) => {
    const { folder, pkg } = await installPacked(t);
    t.true(fs.existsSync(path.join(pkg, 'dist', 'main.js')), 'npm pack ships dist/');
    t.true(fs.existsSync(path.join(pkg, 'src', 'demo', 'bin', 'pkgcheck')), 'npm pack ships the demo\'s stand-ins');
    const cache = path.join(ROOT, 'node_modules', '.cache');
    const before = { pkg: snapshot(folder), cache: fs.existsSync(cache) ? snapshot(cache) : [] };
    // No REFCI_ROOT from this process: the launcher must find its own package.
    const env = { PATH: `${path.join(folder, '.bin')}:${path.dirname(process.execPath)}:/usr/bin:/bin`, HOME: '/nonexistent', LANG: 'C' };
    const run = (args: string[]) => execa(as.prefix[0] ?? 'refci', [...as.prefix.slice(1), ...(as.prefix.length ? ['refci'] : []), ...args], { env, extendEnv: false, cwd: folder, reject: false, stdin: 'ignore' });

    const help = await run(['--help']);
    t.is(help.exitCode, 0, String(help.stderr));
    t.is(help.stderr, '');
    t.regex(String(help.stdout), /^usage: refci <command> \[options\]/);
    t.regex(String(help.stdout), /\n {2}qa-diff {2}diff two pkgcheck outputs per finding/);

    const qaHelp = await run(['qa-diff', '--help']);
    t.is(qaHelp.exitCode, 0, String(qaHelp.stderr));
    t.is(qaHelp.stderr, '');
    t.regex(String(qaHelp.stdout), /^usage: refci qa-diff --base FILE --head FILE/);
    t.regex(String(qaHelp.stdout), /\n\ndiff two pkgcheck outputs per finding: new, fixed and pre-existing, with a verdict\n\n/);

    // A real command too: its chunk and its dependencies load from the installed copy. The
    // dependencies are this checkout's node_modules (linked): in a checkout other users cannot
    // enter (a mktemp -d clone, mode 0700) the other user cannot load them, so that part is skipped, said in the log.
    const fixture = path.join(ROOT, 'test', 'fixtures', 'pkgcheck', 'reporter-formats', 'JsonStream.jsonl');
    if (as.prefix.length > 0 && !othersCanRead(path.join(ROOT, 'node_modules', 'zod', 'package.json'))) {
      t.log(`qa-diff as ${as.who} skipped: ${ROOT} is not readable by other users`);
    } else {
      const diff = await run(['qa-diff', '--base', fixture, '--head', fixture]);
      t.is(diff.exitCode, 0, String(diff.stderr));
      t.is((JSON.parse(String(diff.stdout)) as { verdict: { status: string } }).verdict.status, 'success');
    }

    t.deepEqual(snapshot(folder), before.pkg, 'nothing written into the install folder');
    t.deepEqual(fs.existsSync(cache) ? snapshot(cache) : [], before.cache, 'nothing written into node_modules/.cache');
  });
}

test('the launcher without dist/ says how to build it, in one line, exit 70', async (t) => {
  const pkg = tempDir(t, 'refci-unbuilt-');
  fs.mkdirSync(path.join(pkg, 'bin'));
  fs.copyFileSync(path.join(ROOT, 'bin', 'refci.js'), path.join(pkg, 'bin', 'refci.js'));
  fs.writeFileSync(path.join(pkg, 'package.json'), '{"type":"module"}\n');
  const result = await execa(process.execPath, [path.join(pkg, 'bin', 'refci.js'), '--help'], { reject: false, stdin: 'ignore' });
  t.is(result.exitCode, 70);
  t.is(result.stdout, '');
  t.regex(String(result.stderr), /^refci: .*dist\/main\.js is missing: the CLI is not built; run npm run build in .*$/);
  t.is(String(result.stderr).split('\n').length, 1);
});
