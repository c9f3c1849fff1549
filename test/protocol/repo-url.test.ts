import test from 'ava';
import { JOB } from '../../src/protocol/job.ts';
import { decodeAs } from '../../src/protocol/record-kind.ts';
import { checkRepoUrl, withoutCredentials } from '../../src/protocol/repo-url.ts';

const base = 'a'.repeat(40);
const head = 'b'.repeat(40);
const jobReason = (repo: string) => {
  const decoded = decodeAs(JOB, JSON.stringify({ version: 1, id: 'j1', repo, base, head, pipeline: 'check', createdAt: '2026-01-01T00:00:00Z' }));
  return decoded.ok ? 'ok' : decoded.reason;
};

test('repo URLs of the allowed transports pass, local ones are marked local', (t) => {
  for (const url of ['https://github.com/gentoo/gentoo.git', 'http://127.0.0.1:8080/a/b.git', 'ssh://git@host:2222/srv/x.git', 'git://127.0.0.1:9418/coord.git', 'git@github.com:gentoo/gentoo.git', 'host.example.org:srv/x.git']) {
    t.deepEqual(checkRepoUrl(url), { ok: true, place: 'remote' }, url);
  }
  for (const url of ['/srv/git/gentoo.git', 'file:///srv/git/gentoo.git', '/tmp/a dir/src']) {
    t.deepEqual(checkRepoUrl(url), { ok: true, place: 'local' }, url);
  }
});

test('the job schema refuses option-like, helper, credential-bearing and relative repos', (t) => {
  t.regex(jobReason('--upload-pack=touch /tmp/x'), /^job\.json field repo: must not start with - /);
  t.regex(jobReason('-oProxyCommand=x'), /must not start with -/);
  t.regex(jobReason('ext::sh -c touch% /tmp/x'), /field repo: must be an https/);
  t.regex(jobReason('fd::17'), /field repo: must be an https/);
  t.regex(jobReason('ftp://host/x'), /scheme ftp:\/\/ is not allowed/);
  t.regex(jobReason('ssh://-oProxyCommand=x/y'), /field repo/);
  t.regex(jobReason('https://user:ghp_secret@github.com/a/b.git'), /must not carry credentials/);
  t.regex(jobReason('https://ghp_secret@github.com/a/b.git'), /must not carry credentials/);
  t.regex(jobReason('ssh://git:pw@host/x.git'), /must not carry credentials/);
  t.regex(jobReason('relative/path'), /field repo: must be an https/);
  t.regex(jobReason('file://otherhost/x'), /file:\/\/ URL must name an absolute path/);
  t.is(jobReason('ssh://git@host/x.git'), 'ok', 'an ssh user is not a credential');
  t.is(jobReason('/srv/x.git'), 'ok', 'the schema leaves local paths to the worker');
});

test('credentials are stripped from http(s) URLs, passwords from others', (t) => {
  t.is(withoutCredentials('https://user:token@github.com/a/b.git'), 'https://github.com/a/b.git');
  t.is(withoutCredentials('https://token@github.com/a/b.git'), 'https://github.com/a/b.git');
  t.is(withoutCredentials('ssh://git:pw@host/x.git'), 'ssh://git@host/x.git');
  t.is(withoutCredentials('ssh://git@host/x.git'), undefined);
  t.is(withoutCredentials('https://github.com/a/b.git'), undefined);
  t.is(withoutCredentials('/srv/x.git'), undefined);
});
