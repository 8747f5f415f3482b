import t from 'tap'
import { formatIPv6 } from '../../src/decoders/ip.js'
import { runFilter } from '../helpers/filter.js'

t.test('smoke', async t => {
  t.equal(formatIPv6(Buffer.from('20010db8000000000000000000000001', 'hex'), 0), '2001:db8::1')
  const r = runFilter('type=SYSCALL msg=audit(1.000:1): arch=c000003e syscall=41 success=yes exit=3 a0=2 a1=1 a2=0 a3=0 pid=1\n')
  t.equal(r.events.length, 1)
})
