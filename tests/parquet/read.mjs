// read.mjs FILE - a Parquet file read by hyparquet (an implementation
// independent of sluice), printed as JSON: the schema's columns with their
// types, then every row.  Numbers that JSON cannot carry exactly (BigInt,
// NaN, infinities, -0) are tagged so the test compares them exactly.
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const path = process.argv[2];
const buf = readFileSync(path);
const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const metadata = parquetMetadata(file);
const columns = parquetSchema(metadata).children.map((c) => ({
	name: c.element.name,
	type: c.element.type,
	logical: c.element.logical_type ? c.element.logical_type.type : null,
	scale: c.element.scale ?? null,
	precision: c.element.precision ?? null,
}));
const rows = await parquetReadObjects({ file, compressors, utf8: true });
const tag = (v) => {
	if (typeof v === 'bigint') return { bigint: v.toString() };
	if (typeof v === 'number' && (!Number.isFinite(v) || Object.is(v, -0))) return { float: String(v) };
	if (v instanceof Date) return { date: v.toISOString() };
	if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString('hex') };
	return v;
};
const out = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, tag(v)])));
console.log(JSON.stringify({ columns, row_groups: metadata.row_groups.length, rows: out }));
