/**
 * The indexer: resource → normalized index rows (vocabulary/index-values.ts) for every SearchParameter of the
 * resource's type (FHIR R4 search.html). Expressions are compiled once per type and cached.
 */
import type { IndexValue } from '../vocabulary/index-values.js';
import type { SearchParamDef, SearchRegistry } from './parameters.js';
import { compileExpression, type Evaluator } from './fhirpath-eval.js';
import { emitRows, type RowSink } from './extract-values.js';
import { createCodeBindings } from './code-bindings.js';

/** Turns a resource into its search index rows. */
export interface Indexer {
  /**
   * Every index row of `resource` (deduplicated, in a stable order); unknown types yield only what the registry
   * knows (nothing). With `only`, just the rows of those parameter codes (and their synthetic rows).
   */
  extract(resource: { resourceType: string }, only?: ReadonlySet<string>): IndexValue[];
}

/** Options of `createIndexer`. */
export interface IndexerOptions {
  /** This server's public base (`http://host/fhir`): absolute references on it are indexed as Type/id. */
  baseUrl: string;
  /** Use the fast walker for simple paths (default true); false forces fhirpath.js everywhere. */
  fastPath?: boolean;
}

interface CompiledComponent {
  code: string;
  def: SearchParamDef['components'][number];
  evaluate: Evaluator;
}

interface CompiledParam {
  def: SearchParamDef;
  evaluate: Evaluator;
  /** Components evaluated against each match of a composite, keyed by the match's element path. */
  components?: (path: string) => CompiledComponent[];
}

function compileParam(def: SearchParamDef, fast: boolean): CompiledParam | undefined {
  if (!def.expression || def.type === 'special') return undefined;
  const evaluate = compileExpression(def.expression, undefined, fast);
  if (def.type !== 'composite') return { def, evaluate };
  const byPath = new Map<string, CompiledComponent[]>();
  const components = (path: string): CompiledComponent[] => {
    let c = byPath.get(path);
    if (!c) {
      c = def.components.map((comp, i) => ({
        code: `${def.code}.${i}`, def: comp, evaluate: compileExpression(comp.expression, path, fast),
      }));
      byPath.set(path, c);
    }
    return c;
  };
  return { def, evaluate, components };
}

/** Whether two rows of one param are the same row (what rowKey tells apart, compared field by field). */
function sameRow(a: IndexValue, b: IndexValue): boolean {
  if (a.kind !== b.kind || a.group !== b.group) return false;
  switch (a.kind) {
    case 'string': return a.exact === (b as typeof a).exact;
    case 'token': return a.system === (b as typeof a).system && a.code === (b as typeof a).code;
    case 'date': return a.low === (b as typeof a).low && a.high === (b as typeof a).high;
    case 'number': return a.low === (b as typeof a).low && a.high === (b as typeof a).high && a.value === (b as typeof a).value;
    case 'quantity': {
      const q = b as typeof a;
      return a.system === q.system && a.code === q.code && a.unit === q.unit && a.low === q.low && a.high === q.high && a.value === q.value;
    }
    case 'reference': {
      const r = b as typeof a;
      return a.targetType === r.targetType && a.targetId === r.targetId && a.url === r.url;
    }
    case 'uri': return a.value === (b as typeof a).value;
  }
}

/** Rows of one param kept so far, compared one by one; past DEDUP_BY_KEY of them, by key. */
interface ParamRows {
  rows: IndexValue[];
  keys?: Set<string>;
}
const DEDUP_BY_KEY = 16;

/** A stable key for deduplication; the field order is fixed by construction in extract-values.ts. */
function rowKey(r: IndexValue): string {
  switch (r.kind) {
    case 'string': return `s\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.exact}`;
    case 'token': return `t\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.system ?? '\u0001'}\u0000${r.code ?? '\u0001'}`;
    case 'date': return `d\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.low}\u0000${r.high}`;
    case 'number': return `n\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.low}\u0000${r.high}\u0000${r.value}`;
    case 'quantity':
      return `q\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.system ?? '\u0001'}\u0000${r.code ?? '\u0001'}\u0000${r.unit ?? '\u0001'}\u0000${r.low}\u0000${r.high}\u0000${r.value}`;
    case 'reference':
      return `r\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.targetType ?? '\u0001'}\u0000${r.targetId ?? '\u0001'}\u0000${r.url ?? '\u0001'}`;
    case 'uri': return `u\u0000${r.param}\u0000${r.group ?? ''}\u0000${r.value}`;
  }
}

/**
 * A few official R4 expressions fail in fhirpath.js on valid data (e.g. a Quantity with a comparator);
 * such a param yields no rows instead of failing the whole write. The error text is not kept: it may hold PHI.
 */
function evaluateSafely(evaluate: Evaluator, input: unknown): ReturnType<Evaluator> {
  try {
    return evaluate(input);
  } catch {
    return [];
  }
}

/**
 * Builds an indexer over `registry` (only its parameters per type are read); compiled expressions are cached per
 * resource type for as long as the registry returns the same map for it.
 */
export function createIndexer(registry: Pick<SearchRegistry, 'forType'>, opts: IndexerOptions): Indexer {
  const fast = opts.fastPath !== false;
  const cache = new Map<string, { params: CompiledParam[]; source: ReadonlyMap<string, SearchParamDef> }>();
  const bindings = createCodeBindings();

  function compiledFor(type: string): CompiledParam[] {
    const source = registry.forType(type);
    const hit = cache.get(type);
    if (hit && hit.source === source) return hit.params;
    const params: CompiledParam[] = [];
    for (const def of source.values()) {
      const c = compileParam(def, fast);
      if (c) params.push(c);
    }
    cache.set(type, { params, source });
    return params;
  }

  return {
    extract(resource, only) {
      const rows: IndexValue[] = [];
      // Duplicates can only share a param, and most params have a row or two: those are compared field by field,
      // which builds no key string per row; a param with many rows switches to keys, to stay linear.
      const byParam = new Map<string, ParamRows>();
      const sink: RowSink = {
        baseUrl: opts.baseUrl,
        impliedSystem: bindings.systemFor,
        emit(row) {
          const kept = byParam.get(row.param);
          if (kept === undefined) {
            byParam.set(row.param, { rows: [row] });
          } else if (kept.keys !== undefined) {
            const k = rowKey(row);
            if (kept.keys.has(k)) return;
            kept.keys.add(k);
          } else {
            for (const r of kept.rows) if (sameRow(r, row)) return;
            kept.rows.push(row);
            if (kept.rows.length >= DEDUP_BY_KEY) kept.keys = new Set(kept.rows.map(rowKey));
          }
          rows.push(row);
        },
      };
      let group = 0;
      for (const p of compiledFor(resource.resourceType)) {
        if (only && !only.has(p.def.code)) continue;
        const values = evaluateSafely(p.evaluate, resource);
        if (!p.components) {
          for (const v of values) emitRows(sink, p.def.type, p.def.code, undefined, v);
          continue;
        }
        for (const v of values) {
          // A group missing one component can never satisfy a composite clause, so it is not stored.
          const comps = p.components(v.path);
          const parts = comps.map((c) => evaluateSafely(c.evaluate, v.value));
          if (parts.some((x) => x.length === 0)) continue;
          const g = group++;
          comps.forEach((comp, i) => {
            for (const cv of parts[i]) emitRows(sink, comp.def.type, comp.code, g, cv);
          });
        }
      }
      return rows;
    },
  };
}
