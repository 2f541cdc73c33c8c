/**
 * Search values for the oracle's queries, built from real index rows of the generated data (so most
 * queries hit something) with every modifier, prefix and syntax the parser accepts (FHIR R4 search.html).
 */
import type { IndexValue } from '../../src/vocabulary/index-values.js';
import { OPEN_END } from '../../src/vocabulary/index-values.js';
import type { SearchParamDef } from '../../src/search/parameters.js';
import type { Random } from './oracle-random.js';
import { ORACLE_BASE, PROFILE_ROOT } from './oracle-pools.js';

/** Index rows of the live data, for sampling query values. */
export interface Harvest {
  /** Every row of `param` over live resources of `type`. */
  rows(type: string, param: string): readonly IndexValue[];
  /** The rows of each composite group of `param` on `type` (one array per group). */
  groups(type: string, param: string): readonly (readonly IndexValue[])[];
  /** Live ids of `type`. */
  ids(type: string): readonly string[];
}

/** One `name=value` pair of a query. */
export type Pair = [string, string];

const PREFIXES = ['eq', 'ne', 'gt', 'lt', 'ge', 'le', 'sa', 'eb', 'ap'] as const;
const QUERY_ZONES = ['Z', '+02:00', '-05:00', '+05:30', ''] as const;

/** Escapes the search separators in a literal value (search.html#escaping). */
export function esc(s: string): string {
  return s.replace(/[\\,|$]/g, (c) => `\\${c}`);
}

function fold(s: string): string {
  return s.normalize('NFD').replace(/\p{M}+/gu, '');
}

/** A date search value around instant `t` at a random precision, in a random zone for times. */
export function dateText(rng: Random, t: number): string {
  const prec = rng.weighted([[2, 4], [2, 7], [3, 10], [1, 16], [2, 19], [1, 23]] as const);
  if (prec <= 10) return new Date(t).toISOString().slice(0, prec);
  const zone = rng.pick(QUERY_ZONES);
  const offset = zone === '' || zone === 'Z' ? 0 : (zone[0] === '-' ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  return `${new Date(t + offset).toISOString().slice(0, prec)}${zone}`;
}

function instantNear(rng: Random, r: IndexValue | undefined): number {
  if (!r || (r.kind !== 'date') || rng.chance(0.1)) return Date.UTC(rng.int(1925, 2030), rng.int(0, 11), rng.int(1, 28), rng.int(0, 23), rng.int(0, 59));
  const lo = r.low === -OPEN_END ? r.high : r.low;
  const hi = r.high === OPEN_END ? r.low : r.high;
  const day = 86_400_000;
  return rng.weighted([[3, lo], [2, hi], [1, Math.floor((lo + hi) / 2)], [2, lo - rng.int(1, 400) * day], [2, hi + rng.int(1, 400) * day], [1, lo + rng.int(0, 3_600_000)]] as const);
}

function numberText(rng: Random, v: number): string {
  const j = rng.weighted([[3, v], [1, v * 1.05], [1, v * 0.95], [1, Math.round(v)], [1, v * 2]] as const);
  return rng.weighted([
    [3, String(Number(j.toPrecision(6)))], [1, j.toFixed(1)], [1, j.toFixed(0)], [1, j.toExponential(1)], [1, j.toFixed(2)],
  ] as const);
}

function maybePrefix(rng: Random): string {
  return rng.chance(0.35) ? '' : rng.pick(PREFIXES);
}

/** A string search value from a stored string: prefixes, case and accent variants, or a miss. */
function stringValue(rng: Random, exact: string, mode: 'prefix' | 'exact' | 'contains'): string {
  if (rng.chance(0.08)) return rng.pick(['zzz', 'Qx', 'nobody']);
  if (mode === 'exact') return rng.weighted([[6, exact], [1, exact.toUpperCase()], [1, fold(exact)], [1, `${exact} `]] as const);
  const start = mode === 'contains' ? rng.int(0, Math.max(0, exact.length - 2)) : 0;
  const piece = exact.slice(start, start + rng.int(1, Math.max(1, exact.length - start)));
  const v = rng.weighted([[4, piece], [2, piece.toUpperCase()], [2, fold(piece)], [1, piece.toLowerCase()]] as const);
  return v.trim() === '' ? exact : v;
}

/** A token search value `[system|]code` from a stored token row, in one of the token syntaxes. */
function tokenValue(rng: Random, row: IndexValue | undefined): string {
  if (!row || row.kind !== 'token' || rng.chance(0.05)) return rng.pick(['nomatch', 'http://nowhere.test|x', '|nomatch']);
  const sys = row.system;
  const code = row.code;
  if (code === null) return `${esc(sys ?? '')}|`;
  return rng.weighted([
    [4, esc(code)], [3, sys === null ? `|${esc(code)}` : `${esc(sys)}|${esc(code)}`], [1, `|${esc(code)}`],
    [1, sys === null ? esc(code) : `${esc(sys)}|`], [1, `http://nowhere.test|${esc(code)}`],
  ] as const);
}

function quantityValue(rng: Random, row: IndexValue | undefined): string {
  if (!row || (row.kind !== 'quantity' && row.kind !== 'number')) return `${maybePrefix(rng)}${rng.int(0, 200)}`;
  const num = `${maybePrefix(rng)}${numberText(rng, row.value)}`;
  if (row.kind === 'number') return num;
  const unit = row.unit ?? row.code;
  return rng.weighted([
    [3, num],
    [2, row.system !== null && row.code !== null ? `${num}|${esc(row.system)}|${esc(row.code)}` : num],
    [2, unit !== null ? `${num}||${esc(unit)}` : num],
    [1, row.code !== null ? `${num}||${esc(row.code)}` : num],
    [1, row.system !== null ? `${num}|${esc(row.system)}|` : num],
    [1, `${num}|http://unitsofmeasure.org|mg`],
  ] as const);
}

function referenceValue(rng: Random, def: SearchParamDef, row: IndexValue | undefined): Pair {
  const param = def.code;
  if (!row || row.kind !== 'reference' || rng.chance(0.04)) return [param, rng.pick([`${def.targets[0] ?? 'Patient'}/none`, 'none'])];
  if (row.url !== null) return [param, rng.chance(0.8) ? esc(row.url) : esc(`${row.url}x`)];
  const t = row.targetType ?? 'Patient';
  const id = row.targetId ?? 'none';
  return rng.weighted<Pair>([
    [4, [param, `${t}/${id}`]], [2, [param, id]], [2, [`${param}:${t}`, id]], [2, [param, `${ORACLE_BASE}/${t}/${id}`]],
    [1, [param, `${t}/${id}/_history/3`]], [1, [`${param}:${t}`, `${t}/${id}`]],
  ]);
}

function uriValue(rng: Random, param: string, row: IndexValue | undefined): Pair {
  const v = row && row.kind === 'uri' ? row.value : `${PROFILE_ROOT}none`;
  return rng.weighted<Pair>([
    [3, [param, esc(v)]],
    [3, [`${param}:below`, esc(rng.pick([PROFILE_ROOT, v.slice(0, v.lastIndexOf('/') + 1) || v, v, 'http://vesta.test/']))]],
    [3, [`${param}:above`, esc(rng.pick([`${v}/deeper/still`, v, `${PROFILE_ROOT}patient-a/child/x`, `${PROFILE_ROOT}obs/vitals/bp`]))]],
  ]);
}

function pickRow(rng: Random, rows: readonly IndexValue[]): IndexValue | undefined {
  return rows.length === 0 ? undefined : rng.pick(rows);
}

/** 1–3 values joined by commas (an OR), each built by `one`. */
function orList(rng: Random, one: () => string): string {
  const n = rng.weighted([[6, 1], [3, 2], [1, 3]] as const);
  return Array.from({ length: n }, one).join(',');
}

/** A `name=value` pair for `def` on `type` (modifiers and prefixes chosen at random). */
export function paramPair(rng: Random, harvest: Harvest, type: string, def: SearchParamDef): Pair {
  const code = def.code;
  const rows = harvest.rows(type, code);
  if (rng.chance(0.05)) return [`${code}:missing`, rng.pick(['true', 'false'])];
  switch (def.type) {
    case 'string': {
      const mode = rng.weighted([[5, 'prefix'], [2, 'exact'], [2, 'contains']] as const);
      const one = () => {
        const r = pickRow(rng, rows);
        return esc(stringValue(rng, r && r.kind === 'string' ? r.exact : 'Anna', mode));
      };
      return [mode === 'prefix' ? code : `${code}:${mode}`, orList(rng, one)];
    }
    case 'token': {
      if (code === '_id') {
        const ids = harvest.ids(type);
        const list = () => orList(rng, () => (rng.chance(0.9) && ids.length > 0 ? rng.pick(ids) : 'no-such-id'));
        return rng.chance(0.8) ? ['_id', list()] : ['_id:not', list()];
      }
      const inable = code === 'category' || code === 'clinical-status' || code === 'verification-status';
      const form = rng.weighted([[6, 'plain'], [2, 'not'], [2, 'text'], [code === 'identifier' ? 4 : 0, 'of-type'], [inable ? 4 : 0, 'in']] as const);
      if (form === 'text') {
        const texts = harvest.rows(type, `${code}:text`);
        if (texts.length > 0) return [`${code}:text`, orList(rng, () => { const r = pickRow(rng, texts); return esc(stringValue(rng, r?.kind === 'string' ? r.exact : 'x', 'prefix')); })];
      }
      if (form === 'of-type') {
        const typed = harvest.rows(type, `${code}:of-type`);
        const r = pickRow(rng, typed);
        if (r?.kind === 'token' && r.system !== null && r.code !== null) {
          const [tc, ...value] = r.code.split('|');
          return [`${code}:of-type`, `${esc(r.system)}|${esc(tc ?? '')}|${esc(rng.chance(0.85) ? value.join('|') : 'MRN0')}`];
        }
      }
      if (form === 'in') {
        const vs = { category: 'observation-category', 'clinical-status': 'condition-clinical', 'verification-status': 'condition-ver-status' }[code];
        return [rng.chance(0.7) ? `${code}:in` : `${code}:not-in`, `http://hl7.org/fhir/ValueSet/${type === 'MedicationRequest' && code === 'category' ? 'medicationrequest-category' : vs}`];
      }
      const one = () => tokenValue(rng, pickRow(rng, rows));
      return [form === 'not' ? `${code}:not` : code, orList(rng, one)];
    }
    case 'date':
      return [code, orList(rng, () => `${maybePrefix(rng)}${dateText(rng, instantNear(rng, pickRow(rng, rows)))}`)];
    case 'number': case 'quantity':
      return [code, orList(rng, () => quantityValue(rng, pickRow(rng, rows)))];
    case 'reference': {
      if (rng.chance(0.12)) {
        const idRows = harvest.rows(type, `${code}:identifier`);
        return [`${code}:identifier`, orList(rng, () => tokenValue(rng, pickRow(rng, idRows)))];
      }
      const first = referenceValue(rng, def, pickRow(rng, rows));
      if (first[0] !== code || rng.chance(0.7)) return first;
      const plain = (r: IndexValue | undefined) => r?.kind !== 'reference' ? 'none'
        : r.url !== null ? esc(r.url) : `${r.targetType ?? 'Patient'}/${r.targetId ?? 'none'}`;
      return [code, [first[1], ...Array.from({ length: rng.int(1, 2) }, () => plain(pickRow(rng, rows)))].join(',')];
    }
    case 'uri':
      return uriValue(rng, code, pickRow(rng, rows));
    case 'composite':
      return [code, orList(rng, () => compositeValue(rng, harvest, type, def))];
    case 'special':
      throw new Error(`special parameter ${code} is not generated`);
  }
}

/** `part0$part1` from one real composite group (or a miss), each part in its component's syntax. */
function compositeValue(rng: Random, harvest: Harvest, type: string, def: SearchParamDef): string {
  const groups = harvest.groups(type, def.code);
  const group = groups.length > 0 ? rng.pick(groups) : [];
  return def.components.map((comp, i) => {
    const row = pickRow(rng, group.filter((r) => r.param === `${def.code}.${i}`));
    switch (comp.type) {
      case 'token': return tokenValue(rng, row);
      case 'quantity': case 'number': return quantityValue(rng, row);
      case 'date': return `${maybePrefix(rng)}${dateText(rng, instantNear(rng, row))}`;
      case 'string': return esc(stringValue(rng, row?.kind === 'string' ? row.exact : 'x', 'prefix'));
      default: throw new Error(`composite component type ${comp.type} is not generated`);
    }
  }).join('$');
}
