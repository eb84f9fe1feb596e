const semver = require(process.env.NODE_SEMVER || '/usr/lib/node_modules/npm/node_modules/semver');
const lines = require('fs').readFileSync(0, 'utf8').split('\n').filter(Boolean);
for (const l of lines) {
  const [k, a, b] = l.split('\t');
  if (k === 'cmp') { try { console.log(semver.compare(a, b)); } catch (e) { console.log('x'); } }
  else { let r; try { r = semver.satisfies(b, a) ? 1 : 0; } catch (e) { r = -1; } console.log(r); }
}
