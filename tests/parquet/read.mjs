// read.mjs FILE - a Parquet file read by hyparquet (an implementation
// independent of sluice), printed as JSON: the schema's columns with their
// types, the number of row groups, then every row with each value as
// exact text: integers (INT64 as BigInt), decimals from their unscaled
// integer and the schema's scale, dates, times and timestamps from their
// integer count, doubles as JavaScript prints them (NaN, Infinity too).
import { readFileSync } from 'node:fs';
import { parquetMetadata, parquetReadObjects, parquetSchema } from 'hyparquet';
import { compressors } from 'hyparquet-compressors';

const buf = readFileSync(process.argv[2]);
const file = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
const metadata = parquetMetadata(file);
const columns = parquetSchema(metadata).children.map((c, i) => {
	const el = c.element;
	const meta = metadata.row_groups[0]?.columns[i].meta_data;
	return { name: el.name, type: el.type, converted: el.converted_type ?? null,
		 logical: el.logical_type ?? null, scale: el.scale ?? null, precision: el.precision ?? null,
		 codec: meta?.codec ?? null, encodings: meta?.encodings ?? [] };
});

// Decimals, times and timestamps are read as their raw integers (hyparquet
// would turn them into floats and milliseconds), then written out exactly.
const raw = structuredClone(metadata);
for (const el of raw.schema) {
	if (el.converted_type === 'DECIMAL' || el.logical_type?.type === 'DECIMAL' ||
	    el.logical_type?.type === 'TIMESTAMP' || el.logical_type?.type === 'TIME' ||
	    el.converted_type === 'TIMESTAMP_MICROS' || el.converted_type === 'TIMESTAMP_MILLIS') {
		delete el.converted_type;
		delete el.logical_type;
	}
}
const byName = Object.fromEntries(columns.map((c) => [c.name, c]));
const pad = (n, w) => String(n).padStart(w, '0');
const floorDiv = (a, b) => (a >= 0n ? a / b : -((-a + b - 1n) / b));
function civil(days) { // days since 1970-01-01 to YYYY-MM-DD, any year 1..9999
	const d = new Date(Number(days) * 86400000);
	return pad(d.getUTCFullYear(), 4) + '-' + pad(d.getUTCMonth() + 1, 2) + '-' + pad(d.getUTCDate(), 2);
}
function clock(us) { // microseconds into the day
	return pad(us / 3600000000n, 2) + ':' + pad((us / 60000000n) % 60n, 2) + ':' +
		pad((us / 1000000n) % 60n, 2) + '.' + pad(us % 1000000n, 6);
}
function decimal(v, scale) {
	let x;
	if (v instanceof Uint8Array) {
		x = 0n;
		for (const b of v) x = (x << 8n) | BigInt(b);
		if (v.length && v[0] & 0x80) x -= 1n << BigInt(8 * v.length);
	} else {
		x = BigInt(v);
	}
	const neg = x < 0n, s = (neg ? -x : x).toString().padStart(scale + 1, '0');
	return (neg ? '-' : '') + (scale ? s.slice(0, -scale) + '.' + s.slice(-scale) : s);
}
function show(name, v) {
	if (v === null || v === undefined) return null;
	const c = byName[name];
	const lt = c.logical?.type;
	if (c.converted === 'DECIMAL' || lt === 'DECIMAL') return decimal(v, c.scale ?? c.logical.scale);
	if (lt === 'TIMESTAMP' || c.converted === 'TIMESTAMP_MICROS' || c.converted === 'TIMESTAMP_MILLIS') {
		const unit = lt === 'TIMESTAMP' ? c.logical.unit : c.converted.slice(10);
		const us = unit === 'MILLIS' ? BigInt(v) * 1000n : unit === 'NANOS' ? floorDiv(BigInt(v), 1000n) : BigInt(v);
		const day = floorDiv(us, 86400000000n);
		return civil(day) + ' ' + clock(us - day * 86400000000n);
	}
	if (lt === 'TIME') return clock(c.logical.unit === 'MILLIS' ? BigInt(v) * 1000n : BigInt(v));
	if (v instanceof Date) return civil(Math.round(v.getTime() / 86400000));
	if (typeof v === 'bigint') return v.toString();
	if (typeof v === 'number') return c.type === 'DOUBLE' || c.type === 'FLOAT' ? { double: String(v) } : String(v);
	if (typeof v === 'object' && !(v instanceof Uint8Array)) return { json: v };
	return v;
}
const rows = await parquetReadObjects({ file, metadata: raw, compressors, utf8: true });
const out = rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, show(k, v)])));
console.log(JSON.stringify({ columns, row_groups: metadata.row_groups.length,
			     created_by: metadata.created_by ?? null, rows: out }));
