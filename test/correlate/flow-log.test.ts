/**
 * The flow log reader on every format it accepts: the default v2 format, header lines naming any
 * subset and order of fields, "-" values, NODATA/SKIPDATA, CloudWatch exports with a leading
 * timestamp, --flow-format for header-less custom formats, gzip, CRLF; bad lines counted by
 * reason. Then the public samples in ../shared/corpus/public, read in place.
 */
import t from 'tap'
import { existsSync } from 'node:fs'
import { gzipSync } from 'node:zlib'
import { PassThrough } from 'node:stream'
import {
  DEFAULT_FIELDS, emptyFlowLogStats, FlowFormatError, FlowLogParser, isHeaderLine, parseFlowFormat, type FlowRecord, type ParsedLine
} from '../../src/correlate/flow-log.js'
import { readLines } from '../../src/correlate/inputs.js'
import { SHARED } from '../helpers/filter.js'
import { tempFile } from './helpers.js'

function parseAll (text: string, fields: string[] | null = null): { results: ParsedLine[], stats: ReturnType<typeof emptyFlowLogStats> } {
  const stats = emptyFlowLogStats()
  const p = new FlowLogParser('mem', stats, fields)
  const results = text.split('\n').filter((l, i, a) => i < a.length - 1 || l !== '').map((l, i) => p.parse(l, i + 1))
  return { results, stats }
}

function flows (results: ParsedLine[]): FlowRecord[] {
  return results.flatMap(r => r.kind === 'flow' ? [r.flow] : [])
}

const V2 = '2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK'

t.test('a default-format line without a header is read as the v2 fields', async t => {
  const { results, stats } = parseAll(V2 + '\n')
  const [f] = flows(results)
  t.same(f && { ...f, fields: f.fields }, {
    version: 2, account_id: '123456789010', interface_id: 'eni-1235b8ca123456789', srcaddr: '172.31.16.139', dstaddr: '172.31.16.21',
    srcport: 20641, dstport: 22, protocol: 6, packets: 20, bytes: 4249, start: 1418530010, end: 1418530070, action: 'ACCEPT',
    log_status: 'OK', fields: {}, source: { file: 'mem', line: 1 }
  })
  t.equal(stats.flows, 1)
  t.same(stats.bad, {})
})

t.test('a header line sets the fields for the lines after it, in any order and subset, version absent', async t => {
  const text = 'interface-id srcport dstaddr srcaddr action start end dstport protocol pkt-dstaddr\n' +
    'eni-1 5000 10.0.0.9 10.0.0.5 REJECT 100 160 53 17 203.0.113.5\n'
  const { results, stats } = parseAll(text)
  t.equal(results[0]?.kind, 'header')
  const [f] = flows(results)
  t.equal(f?.version, null, 'no version field: null')
  t.equal(f?.interface_id, 'eni-1')
  t.equal(f?.srcaddr, '10.0.0.5')
  t.equal(f?.dstaddr, '10.0.0.9')
  t.equal(f?.srcport, 5000)
  t.equal(f?.dstport, 53)
  t.equal(f?.action, 'REJECT')
  t.equal(f?.log_status, null, 'no log-status field: null')
  t.equal(f?.packets, null)
  t.same(f?.fields, { pkt_dstaddr: '203.0.113.5' })
  t.equal(stats.headers, 1)
})

t.test('the v3–v5 fields are typed: tcp-flags and traffic-path numbers, pkt-* canonical addresses, the rest text', async t => {
  const header = 'version vpc-id subnet-id instance-id interface-id account-id type srcaddr dstaddr srcport dstport pkt-srcaddr pkt-dstaddr protocol bytes packets start end action tcp-flags log-status flow-direction traffic-path'
  const line = '5 vpc-1 subnet-2 i-0123 eni-9 123456789010 IPv6 2001:DB8:0:0::5 2001:db8::9 443 50000 2001:db8:0::5 ::ffff:192.0.2.1 6 568 8 1566848875 1566848933 ACCEPT 19 OK ingress 1'
  const [f] = flows(parseAll(`${header}\n${line}\n`).results)
  t.equal(f?.srcaddr, '2001:db8::5', 'IPv6 in RFC 5952 text')
  t.same(f?.fields, {
    vpc_id: 'vpc-1', subnet_id: 'subnet-2', instance_id: 'i-0123', type: 'IPv6', pkt_srcaddr: '2001:db8::5',
    pkt_dstaddr: '192.0.2.1', tcp_flags: 19, flow_direction: 'ingress', traffic_path: 1
  }, 'an IPv4-mapped address becomes its IPv4 text')
})

t.test('"-" is null in every kind of field', async t => {
  const text = 'version srcaddr dstaddr srcport dstport protocol start end action log-status instance-id tcp-flags\n' +
    '3 10.0.0.1 - - - 1 100 100 ACCEPT OK - -\n'
  const [f] = flows(parseAll(text).results)
  t.equal(f?.dstaddr, null)
  t.equal(f?.srcport, null)
  t.equal(f?.dstport, null)
  t.same(f?.fields, { instance_id: null, tcp_flags: null })
})

t.test('NODATA and SKIPDATA lines are window markers, not flows', async t => {
  const text = '2 123456789010 eni-1 - - - - - - - 1431280876 1431280934 - NODATA\n' +
    '2 123456789010 eni-2 - - - - - - - 1431280876 1431280934 - SKIPDATA\n'
  const { results, stats } = parseAll(text)
  t.same(results, [
    { kind: 'nodata', interface_id: 'eni-1', start: 1431280876, end: 1431280934 },
    { kind: 'skipdata', interface_id: 'eni-2', start: 1431280876, end: 1431280934 }
  ])
  t.equal(stats.nodata, 1)
  t.equal(stats.skipdata, 1)
  t.equal(stats.flows, 0)
})

t.test('a CloudWatch export line with a leading ISO or epoch-ms timestamp is read past it', async t => {
  const { results, stats } = parseAll(`2024-03-01T10:00:05.123Z ${V2}\n1709287205123 ${V2}\n`)
  const fs = flows(results)
  t.equal(fs.length, 2)
  t.equal(fs[0]?.ingest_time, Date.parse('2024-03-01T10:00:05.123Z'))
  t.equal(fs[1]?.ingest_time, 1709287205123)
  t.equal(fs[1]?.srcport, 20641)
  t.same(stats.bad, {})
})

t.test('a timestamp-looking first token that is no date is a bad line', async t => {
  const { stats } = parseAll(`2024-13-45T99:00:00Z ${V2}\n`)
  t.same(stats.bad, { bad_timestamp: 1 })
})

t.test('--flow-format as AWS writes it gives the fields of header-less lines', async t => {
  const fields = parseFlowFormat('${version} ${interface-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${start} ${end} ${action} ${log-status} ${tcp-flags}')
  t.equal(fields.length, 12)
  const [f] = flows(parseAll('3 eni-7 10.0.0.1 10.0.0.2 1 2 6 10 20 ACCEPT OK 2\n', fields).results)
  t.equal(f?.interface_id, 'eni-7')
  t.same(f?.fields, { tcp_flags: 2 })
  t.equal(f?.account_id, null)
})

t.test('--flow-format rejects what is not a field list', async t => {
  t.throws(() => parseFlowFormat('${version} ${Src Addr}'), FlowFormatError)
  t.throws(() => parseFlowFormat('${srcaddr} ${srcaddr}'), /twice/)
  t.throws(() => parseFlowFormat('   '), /no field/)
  t.same(parseFlowFormat('version resource-id srcaddr'), ['version', 'resource-id', 'srcaddr'], 'a newer field name is accepted')
})

t.test('a second header in the same stream switches the format (files concatenated with their headers)', async t => {
  const text = `version srcaddr dstaddr\n2 10.0.0.1 10.0.0.2\nsrcaddr dstaddr srcport\n10.0.0.3 10.0.0.4 99\n`
  const fs = flows(parseAll(text).results)
  t.equal(fs[0]?.version, 2)
  t.equal(fs[1]?.srcport, 99)
  t.equal(fs[1]?.version, null)
})

t.test('bad lines are counted by reason with examples, never fatal', async t => {
  const text = [
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 100 160 ACCEPT', // 13 fields, no layout
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 x 2 6 3 4 100 160 ACCEPT OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.999 1 2 6 3 4 100 160 ACCEPT OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 100 160 ALLOW OK',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 100 160 ACCEPT MAYBE',
    '2 123456789010 eni-1 10.0.0.1 10.0.0.2 1 2 6 3 4 160 100 ACCEPT OK',
    '2 123456789010 eni-1 - - 1 2 6 3 4 100 160 ACCEPT OK',
    '',
    V2
  ].join('\n') + '\n'
  const { results, stats } = parseAll(text)
  t.same(stats.bad, {
    unknown_format: 1, bad_number: 1, bad_address: 1, bad_action: 1, bad_log_status: 1, implausible_window: 1, missing_fields: 1
  })
  t.equal(stats.blank, 1)
  t.equal(stats.flows, 1, 'the good line after them is read')
  t.equal(stats.bad_examples[0]?.line, 1)
  t.match(stats.bad_examples[1]?.detail, /srcport=x/)
  t.equal(results.length, 9)
})

t.test('with a format, a line of another length is a field_count error', async t => {
  const { stats } = parseAll('srcaddr dstaddr\n10.0.0.1\n')
  t.same(stats.bad, { field_count: 1 })
})

t.test('header detection: names are headers, data lines never are', async t => {
  t.ok(isHeaderLine(['version', 'srcaddr', 'dstaddr']))
  t.ok(isHeaderLine(['instance-id', 'interface-id', 'srcaddr', 'dstaddr', 'pkt-srcaddr', 'pkt-dstaddr']))
  t.notOk(isHeaderLine(['eni-123', 'i-0abc']), 'ids look like names but are no fields')
  t.notOk(isHeaderLine(V2.split(' ')))
  t.notOk(isHeaderLine(['srcaddr']), 'one name is too little to tell')
})

t.test('CRLF line ends are accepted', async t => {
  const { stats } = parseAll(`${DEFAULT_FIELDS.join(' ')}\r\n${V2}\r\n`)
  t.equal(stats.flows, 1)
  t.equal(stats.headers, 1)
  t.same(stats.bad, {})
})

t.test('gzip files are read by their magic bytes, whatever the name; plain files too', async t => {
  const text = `${DEFAULT_FIELDS.join(' ')}\n${V2}\n${V2}\n`
  for (const [name, bytes] of [['x.log.gz', gzipSync(text)], ['no-suffix', gzipSync(text)], ['plain.log', Buffer.from(text)]] as const) {
    const file = tempFile(bytes, name)
    const lines: string[] = []
    for await (const l of readLines(file, process.stdin)) lines.push(l.text)
    t.same(lines, [DEFAULT_FIELDS.join(' '), V2, V2], name)
  }
})

t.test('concatenated gzip members are all read, and stdin ("-") works', async t => {
  const stdin = new PassThrough()
  stdin.end(Buffer.concat([gzipSync('a\n'), gzipSync('b\n')]))
  const lines: string[] = []
  for await (const l of readLines('-', stdin)) lines.push(l.text)
  t.same(lines, ['a', 'b'])
})

t.test('a file that cannot be read throws from the line iterator', async t => {
  await t.rejects(async () => {
    for await (const _ of readLines('/nonexistent/flows.log', process.stdin)) { /* nothing */ }
  }, { code: 'ENOENT' })
})

// ---------------------------------------------------------------------------------------------
// The public samples (../shared/corpus/public/SOURCES.md), read in place

const PUBLIC = `${SHARED}/corpus/public`

if (!existsSync(PUBLIC)) {
  t.test('the public VPC flow log samples', { skip: '../shared/corpus/public is absent (a clone without ../shared): the public samples were NOT read — the reader was checked on built-in lines only' }, async () => {})
} else {
  async function readSample (rel: string, fields: string[] | null = null): Promise<{ results: ParsedLine[], stats: ReturnType<typeof emptyFlowLogStats> }> {
    const stats = emptyFlowLogStats()
    const p = new FlowLogParser(rel, stats, fields)
    const results: ParsedLine[] = []
    for await (const { text, line } of readLines(`${PUBLIC}/${rel}`, process.stdin)) results.push(p.parse(text, line))
    return { results, stats }
  }

  t.test('sample beats-vpcflow/accept-reject-traffic.log: v2 with header, ACCEPT and REJECT, ICMP', async t => {
    const { results, stats } = await readSample('beats-vpcflow/accept-reject-traffic.log')
    const fs = flows(results)
    t.equal(stats.headers, 1)
    t.same(fs.map(f => f.action), ['ACCEPT', 'REJECT', 'ACCEPT', 'REJECT'])
    t.same(fs.map(f => f.protocol), [6, 6, 1, 1])
    t.equal(fs[1]?.dstport, 3389)
    t.same(stats.bad, {})
  })

  t.test('sample beats-vpcflow/custom-nat-gateway.log: header without version, "-" instance-id, pkt-* addresses', async t => {
    const { results, stats } = await readSample('beats-vpcflow/custom-nat-gateway.log')
    const fs = flows(results)
    t.equal(fs.length, 2)
    t.equal(fs[0]?.fields['instance_id'], null)
    t.equal(fs[0]?.fields['pkt_dstaddr'], '203.0.113.5')
    t.equal(fs[0]?.dstaddr, '10.0.0.220')
    t.equal(fs[1]?.fields['instance_id'], 'i-01234567890123456')
    t.equal(fs[0]?.start, null, 'no start in this format')
    t.same(stats.bad, {})
  })

  t.test('sample beats-vpcflow/custom-transit-gateway.log: a header-less custom v3 format needs --flow-format', async t => {
    const without = await readSample('beats-vpcflow/custom-transit-gateway.log')
    t.same(without.stats.bad, { unknown_format: 1 }, 'without the format it is counted, not guessed')
    const format = parseFlowFormat('${version} ${interface-id} ${account-id} ${vpc-id} ${subnet-id} ${instance-id} ${srcaddr} ${dstaddr} ${srcport} ${dstport} ${protocol} ${tcp-flags} ${type} ${pkt-srcaddr} ${pkt-dstaddr} ${action} ${log-status}')
    const { results, stats } = await readSample('beats-vpcflow/custom-transit-gateway.log', format)
    const [f] = flows(results)
    t.equal(f?.interface_id, 'eni-33333333333333333')
    t.equal(f?.account_id, '123456789010')
    t.equal(f?.dstport, 80)
    t.equal(f?.fields['tcp_flags'], 3)
    t.equal(f?.fields['type'], 'IPv4')
    t.same(stats.bad, {})
  })

  t.test('sample beats-vpcflow/ipv6.log: IPv6 addresses, default format, no header', async t => {
    const [f] = flows((await readSample('beats-vpcflow/ipv6.log')).results)
    t.equal(f?.srcaddr, '2001:db8:1234:a100:8d6e:3477:df66:f105')
    t.equal(f?.dstport, 22)
  })

  t.test('sample beats-vpcflow/no-data-skip-data.log: NODATA and SKIPDATA with "-" fields', async t => {
    const { results, stats } = await readSample('beats-vpcflow/no-data-skip-data.log')
    t.same(results.map(r => r.kind), ['nodata', 'skipdata'])
    t.equal(stats.flows, 0)
    t.same(stats.bad, {})
  })

  t.test('sample beats-vpcflow/tcp-flag-sequence.log: v3 header with tcp-flags', async t => {
    const [f] = flows((await readSample('beats-vpcflow/tcp-flag-sequence.log')).results)
    t.equal(f?.fields['tcp_flags'], 2)
    t.equal(f?.bytes, 568)
    t.equal(f?.packets, 8)
    t.equal(f?.fields['instance_id'], 'i-01234567890123456')
  })

  t.test('sample elastic-integrations/test-v5-all-fields.log: 29 fields by count; its 9-digit start is rejected', async t => {
    const { results, stats } = await readSample('elastic-integrations/test-v5-all-fields.log')
    t.same(stats.bad, { implausible_window: 1 }, 'a 47-year window would match everything')
    const bad = results[0]
    t.equal(bad?.kind, 'bad')
    if (bad?.kind === 'bad') t.match(bad.detail, 'start=164000066')
    // The same line with the start repaired is read with every v5 field in place.
    const line = (await (async () => { for await (const l of readLines(`${PUBLIC}/elastic-integrations/test-v5-all-fields.log`, process.stdin)) return l.text; return '' })())
    const [f] = flows(parseAll(line.replace(' 164000066 ', ' 1640000066 ') + '\n').results)
    t.equal(f?.fields['flow_direction'], 'ingress')
    t.equal(f?.fields['traffic_path'], 1)
    t.equal(f?.fields['pkt_dstaddr'], '10.200.0.80')
    t.equal(f?.fields['pkt_src_aws_service'], 'AMAZON')
    t.equal(f?.fields['az_id'], 'use1-az5')
    t.equal(f?.action, 'REJECT')
  })

  t.test('sample elastic-integrations/test-v8-samples.log: 40 fields by count, its log-status NODATA wins over its values', async t => {
    const { results, stats } = await readSample('elastic-integrations/test-v8-samples.log')
    t.same(results.map(r => r.kind), ['nodata'])
    t.same(stats.bad, {})
    // Read as OK, the record shows where the v7 and v8 fields land.
    const line = (await (async () => { for await (const l of readLines(`${PUBLIC}/elastic-integrations/test-v8-samples.log`, process.stdin)) return l.text; return '' })())
    const [f] = flows(parseAll(line.replace(' REJECT NODATA ', ' REJECT OK ') + '\n').results)
    t.equal(f?.srcaddr, '2a02:cf40::')
    t.equal(f?.fields['ecs_cluster_name'], 'backend-cluster')
    t.equal(f?.fields['ecs_service_name'], 'payments-service')
    t.equal(f?.fields['reject_reason'], 'BPA')
    t.equal(f?.fields['flow_direction'], 'ingress')
  })
}
