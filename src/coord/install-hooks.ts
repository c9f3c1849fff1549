import fs from 'node:fs';
import path from 'node:path';
import { RefciError } from '../errors.ts';

/** Single-quoted for sh: a path with a space or a quote stays one word. */
function shellWord(value: string): string {
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/** The pre-receive hook `refci init --hooks` writes: this refci, run by this node, decides every push. */
export function preReceiveScript(node: string, launcher: string): string {
  return [
    '#!/bin/sh',
    '# refci: who may push what to this coordination repository (docs/protocol.md, Authorisation).',
    '# Written by refci init --hooks; the pusher comes from REFCI_PUSHER (the ssh gate) or GL_USER (gitolite).',
    `exec ${shellWord(node)} ${shellWord(launcher)} hook pre-receive`,
    '',
  ].join('\n');
}

/**
 * Installs the pre-receive hook into a bare repository, replacing an earlier
 * one (refci's or the shell hook docs/deploy.md once showed). Returns its path.
 */
export function installPreReceive(repo: string, node: string, launcher: string): string {
  if (!fs.existsSync(path.join(repo, 'HEAD')) || !fs.existsSync(path.join(repo, 'objects'))) {
    throw new RefciError('invalid-input', `${repo} is not a bare git repository`, 'give the coordination repository\'s folder (refci init <path> creates one)');
  }
  const hooks = path.join(repo, 'hooks');
  fs.mkdirSync(hooks, { recursive: true });
  const file = path.join(hooks, 'pre-receive');
  // Written beside and renamed: git never runs half a hook.
  const temp = `${file}.refci-${process.pid}`;
  fs.writeFileSync(temp, preReceiveScript(node, launcher), { mode: 0o755 });
  fs.renameSync(temp, file);
  return file;
}
