// write.mjs FILE [CODEC [small]] - the interop fixture written by hyparquet-writer
// (an implementation independent of sluice): one column per type sluice
// maps, with nulls, extremes and edge values; several row groups and
// pages; CODEC is UNCOMPRESSED, SNAPPY (its default) or GZIP.
// Prints the values written, as JSON, for the test to compare with what
// sluice loads.
import { parquetWriteFile } from 'hyparquet-writer';
import { gzipSync } from 'node:zlib';

const [file, codec = 'SNAPPY'] = process.argv.slice(2);
const day = (s) => new Date(s + 'T00:00:00Z');
const rows = [
	{ i32: 2147483647, i64: 9223372036854775807n, f64: 1.5, txt: 'plain', flag: true,
	  day: day('2024-02-29'), ts: new Date('2024-02-29T23:59:59.999Z'), dec: 12345n, dec9: 123456789012n },
	{ i32: -2147483648, i64: -9223372036854775808n, f64: -0.1, txt: '', flag: false,
	  day: day('1969-12-31'), ts: new Date('1969-07-20T20:17:40.123Z'), dec: -5n, dec9: -1n },
	{ i32: null, i64: null, f64: null, txt: null, flag: null, day: null, ts: null, dec: null, dec9: null },
	{ i32: 0, i64: 0n, f64: 1e300, txt: 'ünïcödé ✓ 日本 🚀', flag: true,
	  day: day('0001-01-01'), ts: new Date('1900-01-01T00:00:00Z'), dec: 0n, dec9: 99999999999999n },
	{ i32: 7, i64: 42n, f64: 2.2250738585072014e-308, txt: 'comma, "quote"\nline', flag: false,
	  day: day('9999-12-31'), ts: new Date('2038-01-19T03:14:08Z'), dec: 100n, dec9: 5n },
];
// a long tail of repeated text, so that the writer uses its dictionary and
// splits row groups
for (let k = 0; k < (process.argv[4] === 'small' ? 0 : 3000); k++)
	rows.push({ i32: k, i64: BigInt(k) * 1000000007n, f64: k / 8, txt: 'city ' + (k % 7), flag: k % 3 === 0,
		    day: day('2000-01-01'), ts: new Date(Date.UTC(2020, 0, 1) + k * 1000), dec: BigInt(k), dec9: BigInt(-k) });

const col = (name) => rows.map((r) => r[name]);
parquetWriteFile({
	filename: file,
	codec,
	compressors: { GZIP: (b) => new Uint8Array(gzipSync(b)) },
	rowGroupSize: [1000, 1500],
	columnData: [
		{ name: 'i32', data: col('i32') },
		{ name: 'i64', data: col('i64') },
		{ name: 'f64', data: col('f64') },
		{ name: 'txt', data: col('txt') },
		{ name: 'flag', data: col('flag') },
		{ name: 'day', data: col('day') },
		{ name: 'ts', data: col('ts') },
		{ name: 'dec', data: col('dec') },
		{ name: 'dec9', data: col('dec9') },
		{ name: 'tsu', data: col('ts').map((v) => (v === null ? null : BigInt(v.getTime()) * 1000n + 456n)) },
	],
	schema: [
		{ name: 'root', num_children: 10 },
		{ name: 'i32', type: 'INT32', repetition_type: 'OPTIONAL' },
		{ name: 'i64', type: 'INT64', repetition_type: 'OPTIONAL' },
		{ name: 'f64', type: 'DOUBLE', repetition_type: 'OPTIONAL' },
		{ name: 'txt', type: 'BYTE_ARRAY', converted_type: 'UTF8', repetition_type: 'OPTIONAL' },
		{ name: 'flag', type: 'BOOLEAN', repetition_type: 'OPTIONAL' },
		{ name: 'day', type: 'INT32', converted_type: 'DATE', repetition_type: 'OPTIONAL' },
		{ name: 'ts', type: 'INT64', converted_type: 'TIMESTAMP_MILLIS', repetition_type: 'OPTIONAL' },
		{ name: 'dec', type: 'FIXED_LEN_BYTE_ARRAY', type_length: 16, converted_type: 'DECIMAL',
		  scale: 4, precision: 38, repetition_type: 'OPTIONAL' },
		{ name: 'dec9', type: 'INT64', converted_type: 'DECIMAL', scale: 2, precision: 18,
		  repetition_type: 'OPTIONAL' },
		{ name: 'tsu', type: 'INT64', converted_type: 'TIMESTAMP_MICROS', repetition_type: 'OPTIONAL' },
	],
});
const show = (v, name) => {
	if (v === null) return null;
	if (name === 'day') return v.toISOString().slice(0, 10);
	if (name === 'ts') return v.toISOString().replace('T', ' ').replace('Z', '000');
	if (typeof v === 'bigint') {
		const scale = name === 'dec' ? 4 : name === 'dec9' ? 2 : 0;
		const neg = v < 0n, s = (neg ? -v : v).toString().padStart(scale + 1, '0');
		return (neg ? '-' : '') + (scale ? s.slice(0, -scale) + '.' + s.slice(-scale) : s);
	}
	if (typeof v === 'boolean') return v ? 't' : 'f';
	return String(v);
};
const micros = (v) => v === null ? null : show(v, 'ts').replace(/000$/, '456');
console.log(JSON.stringify(rows.map((r) => ({ ...Object.fromEntries(Object.entries(r).map(([k, v]) => [k, show(v, k)])), tsu: micros(r.ts) }))));
