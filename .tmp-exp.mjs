import { celEnv, parse, plan, CelScalar, isCelError, celMap, celList } from '@bufbuild/cel';
import { check } from '../main/node_modules/@bufbuild/cel/dist/esm/check.js';
import { strings } from '@bufbuild/cel/ext';
const env = celEnv({ funcs: strings, variables: { self: CelScalar.DYN } });
for (const src of ["self.all(l, l.protocol in ['HTTP'] ? !has(l.tls) : true)", "self.all(h, !isIP(h))", "self.foo(1)", "self.split('/')[0].size() < 253", "duration(self.a) > duration('1s')", "has(self.x)", "[has(self.a)].filter(x,x==true).size() <= 1", "self.__namespace__ == 'a'"]) {
  const p = parse(src);
  try { const c = check(env, p); console.log('OK', src, JSON.stringify(Object.keys(c))); } catch (e) { console.log('ERR', src, e.message); }
}
const p = plan(env, parse("self.all(l, self.exists_one(m, m.name == l.name))"));
console.log(p({ self: [{name:'a'},{name:'a'}] }));
console.log(plan(env, parse("self.x"))({ self: {y:1} }));
console.log(plan(env, parse("self.x + 1"))({ self: {x:1n} }));
console.log(plan(env, parse("self.x + 1"))({ self: {x:1} }));
console.log(plan(env, parse("self.x == 1"))({ self: {x:1} }));
console.log(plan(env, parse("self.foo(1)"))({ self: {x:1} }));
console.log(plan(env, parse("'a'.foo(1) || true"))({ self: {x:1} }));
console.log(plan(env, parse("self.y || self.x"))({ self: {x:true} }));
console.log(plan(env, parse("'abc'.matches('^(?i)A')"))({ self: {x:true} }));
console.log(plan(env, parse("'a/b'.split('/')"))({ self: {x:true} }));
console.log(plan(env, parse("duration('1h') > duration('30m')"))({ self: {x:true} }));
console.log(plan(env, parse("type(self) == int"))({ self: 1n }));
