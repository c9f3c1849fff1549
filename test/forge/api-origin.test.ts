import test from 'ava';
import { forgeSettings } from '../../src/cli/forge-flags.ts';
import { assertApiOrigin, checkedApiUrl } from '../../src/forge/api-origin.ts';
import { createForge } from '../../src/forge/index.ts';

test('the token goes only over https unless http is allowed, and never with credentials in the URL', (t) => {
  for (const kind of ['github', 'codeberg'] as const) {
    const error = t.throws(() => createForge(kind, { repo: 'a/b', token: 't', apiUrl: 'http://127.0.0.1:1/api' }));
    t.regex(error!.message, /API URL http:\/\/127\.0\.0\.1:1 is not https, and the token must not cross the network in clear/);
    t.notThrows(() => createForge(kind, { repo: 'a/b', token: 't', apiUrl: 'http://127.0.0.1:1/api', allowHttp: true }));
    t.notThrows(() => createForge(kind, { repo: 'a/b', token: 't' }), 'the public APIs are https');
  }
  t.throws(() => checkedApiUrl('https://u:p@ghe.example/api/v3', 'GitHub', false), { message: /names a user or password/ });
  t.throws(() => checkedApiUrl('ftp://ghe.example/api/v3', 'GitHub', true), { message: /is not https/ });
});

test('a request to another origin than the API is refused', (t) => {
  const api = new URL('https://ghe.example/api/v3');
  t.notThrows(() => assertApiOrigin('https://ghe.example/api/v3/repos/a/b/pulls?page=2', api, 'GitHub'));
  t.notThrows(() => assertApiOrigin('/api/v3/user', api, 'GitHub'));
  t.throws(() => assertApiOrigin('https://evil.example/api/v3/repos/a/b/pulls?page=2', api, 'GitHub'), { message: /request to https:\/\/evil\.example refused: the token goes only to https:\/\/ghe\.example/ });
  t.throws(() => assertApiOrigin('http://ghe.example/api/v3/user', api, 'GitHub'), { message: /refused/ });
});

test('the configuration branch cannot set the API URL or the token file; one warning line says so', (t) => {
  const warnings: string[] = [];
  const branch = { codeberg: { apiUrl: 'http://127.0.0.1:9/api/v1', tokenFile: '/etc/hostname', statusContext: 'ci', reportUrl: 'https://r.example/{job}' } };
  const settings = forgeSettings({ codeberg: 'a/b' }, 'codeberg', {}, branch, (line) => warnings.push(line));
  t.is(settings.apiUrl, undefined);
  t.is(settings.tokenFile, undefined);
  t.is(settings.statusContext, 'ci');
  t.is(settings.reportUrl, 'https://r.example/{job}');
  t.is(warnings.length, 1);
  t.regex(warnings[0]!, /^warning: configuration branch: forges\.codeberg\.apiUrl and forges\.codeberg\.tokenFile ignored: /);
  const fromHost = forgeSettings({ codeberg: 'a/b', 'token-file': '/etc/refci/t' }, 'codeberg', { REFCI_CODEBERG_API_URL: 'https://forgejo.example/api/v1' }, branch);
  t.is(fromHost.apiUrl, 'https://forgejo.example/api/v1');
  t.is(fromHost.tokenFile, '/etc/refci/t');
});
