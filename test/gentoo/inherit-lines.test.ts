import test from 'ava';
import { inheritedEclasses } from '../../src/gentoo/inherit-lines.ts';

test('plain inherit lines, continued lines, comments and dynamic names', (t) => {
  t.deepEqual(inheritedEclasses('EAPI=8\ninherit a \\\n\tb # c\n# inherit d\n'), ['a', 'b']);
  t.deepEqual(inheritedEclasses('inherit e ${DYNAMIC}; echo f\n'), ['e']);
  t.deepEqual(inheritedEclasses('DESCRIPTION="inherit nothing"\nmy_inherit x\n'), []);
});

test('case arms inherit, on their own lines or on one', (t) => {
  const multi = ['case ${PV} in', '\t6) inherit xdg ;;', '\t9999|*_pre*) inherit git-r3 ;;', '\t*) inherit other', '\t\t;;', 'esac'].join('\n');
  t.deepEqual(inheritedEclasses(multi), ['xdg', 'git-r3', 'other']);
  t.deepEqual(inheritedEclasses('case ${EAPI} in 7) inherit eapi7-ver ;; esac\n'), ['eapi7-ver']);
  t.deepEqual(inheritedEclasses('case ${EAPI} in\n(8) inherit eight ;;\nesac\n'), ['eight']);
});

test('conditional inherits: && chains and if/then/else, one line or several', (t) => {
  t.deepEqual(inheritedEclasses('[[ ${PV} == 9999 ]] && inherit git-r3\n'), ['git-r3']);
  t.deepEqual(inheritedEclasses('[[ ${PV} == 9999 ]] || inherit verify-sig\n'), ['verify-sig']);
  t.deepEqual(inheritedEclasses('if [[ ${PV} == 9999 ]]; then inherit git-r3; else inherit verify-sig; fi\n'), ['git-r3', 'verify-sig']);
  t.deepEqual(inheritedEclasses('if [[ ${PV} == 9999 ]]; then\n\tinherit git-r3\nelse\n\tinherit verify-sig\nfi\n'), ['git-r3', 'verify-sig']);
  t.deepEqual(inheritedEclasses('if [[ -z ${_B} ]]; then\ninherit c\nfi\n'), ['c']);
});
