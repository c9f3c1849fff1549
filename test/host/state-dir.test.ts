import test from 'ava';
import path from 'node:path';
import { stateDirFor } from '../../src/host/state-dir.ts';

test("a host's state folder is under the home folder its environment names, one per coordination repository and role", (t) => {
  const worker = stateDirFor('worker', 'ssh://coord/ci.git', 'w1', { HOME: '/home/refci' });
  t.regex(worker, /^\/home\/refci\/\.cache\/refci\/[0-9a-f]{12}\/worker-w1$/);
  t.is(stateDirFor('worker', 'ssh://coord/ci.git', 'w1', { HOME: '/home/refci' }), worker, 'the same repository, the same folder');
  t.not(path.dirname(stateDirFor('worker', 'ssh://coord/other.git', 'w1', { HOME: '/home/refci' })), path.dirname(worker));
  t.is(path.dirname(stateDirFor('collector', 'ssh://coord/ci.git', 'main', { HOME: '/home/refci' })), path.dirname(worker));
});

test('XDG_CACHE_HOME and then REFCI_STATE_DIR move it; an empty one is as if unset', (t) => {
  const leaf = path.basename(path.dirname(stateDirFor('worker', 'c', 'w1', { HOME: '/h' })));
  t.is(stateDirFor('worker', 'c', 'w1', { HOME: '/h', XDG_CACHE_HOME: '/cache' }), `/cache/refci/${leaf}/worker-w1`);
  t.is(stateDirFor('worker', 'c', 'w1', { HOME: '/h', XDG_CACHE_HOME: '' }), `/h/.cache/refci/${leaf}/worker-w1`);
  t.is(stateDirFor('worker', 'c', 'w1', { HOME: '/h', XDG_CACHE_HOME: '/cache', REFCI_STATE_DIR: '/srv/refci' }), `/srv/refci/${leaf}/worker-w1`);
  t.is(stateDirFor('worker', 'c', 'w1', { HOME: '/h', REFCI_STATE_DIR: '' }), `/h/.cache/refci/${leaf}/worker-w1`);
});
