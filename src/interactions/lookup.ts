import type { HttpMethod, RouteShape } from '../vocabulary/interaction.js';
import type { InteractionSpec } from './deps.js';

/** Finds the row of `table` for a shape and method; `undefined` means 405 when the shape exists. */
export function findInteraction(table: readonly InteractionSpec[], shape: RouteShape, method: string): InteractionSpec | undefined {
  return table.find((s) => s.shape === shape && s.method === method);
}

/** Methods allowed on a shape (for the 405 Allow header). */
export function allowedMethods(table: readonly InteractionSpec[], shape: RouteShape): HttpMethod[] {
  return [...new Set(table.filter((s) => s.shape === shape).map((s) => s.method))];
}
