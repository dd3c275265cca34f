import { GraphQLError, Kind, type ASTVisitor, type FragmentDefinitionNode, type SelectionSetNode, type ValidationContext } from 'graphql';

/** How deep a selection may nest (Mercurius's queryDepth; introspection needs 8). */
export const MAX_QUERY_DEPTH = 12;
/** Fields one operation may select in all, fragments expanded; a dashboard with every column is about 60. */
export const MAX_QUERY_COMPLEXITY = 400;
/** Aliases one operation may use: each alias of an analytics field is one more warehouse query. */
export const MAX_QUERY_ALIASES = 15;

/**
 * Fields that run warehouse queries count for more than one, so a query cannot ask for many
 * answers at once under a plain field count.
 */
const FIELD_COST: Record<string, number> = { analytics: 25, dashboard: 60, drill: 25 };

export interface QueryLimits {
  maxComplexity: number;
  maxAliases: number;
}

/**
 * A validation rule that refuses an operation selecting too many fields (complexity, counted with
 * fragments expanded and heavy fields weighted) or using too many aliases, before anything runs.
 */
export function queryLimitsRule(limits: QueryLimits = { maxComplexity: MAX_QUERY_COMPLEXITY, maxAliases: MAX_QUERY_ALIASES }) {
  return (context: ValidationContext): ASTVisitor => ({
    OperationDefinition(operation) {
      const tally = { complexity: 0, aliases: 0 };
      count(operation.selectionSet, context, tally, new Set());
      const name = operation.name ? ` "${operation.name.value}"` : '';
      if (tally.complexity > limits.maxComplexity) {
        context.reportError(
          new GraphQLError(
            `The operation${name} is too complex: it costs ${tally.complexity}, over the limit of ${limits.maxComplexity}. Ask for fewer fields or split it into several requests.`,
            { nodes: [operation], extensions: { code: 'QUERY_TOO_COMPLEX', complexity: tally.complexity, limit: limits.maxComplexity } },
          ),
        );
      }
      if (tally.aliases > limits.maxAliases) {
        context.reportError(
          new GraphQLError(`The operation${name} uses ${tally.aliases} aliases, over the limit of ${limits.maxAliases}. Split it into several requests.`, {
            nodes: [operation],
            extensions: { code: 'QUERY_TOO_COMPLEX', aliases: tally.aliases, limit: limits.maxAliases },
          }),
        );
      }
    },
  });
}

function count(selectionSet: SelectionSetNode, context: ValidationContext, tally: { complexity: number; aliases: number }, expanding: Set<string>): void {
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) {
      tally.complexity += FIELD_COST[selection.name.value] ?? 1;
      if (selection.alias) tally.aliases += 1;
      if (selection.selectionSet) count(selection.selectionSet, context, tally, expanding);
    } else if (selection.kind === Kind.INLINE_FRAGMENT) {
      count(selection.selectionSet, context, tally, expanding);
    } else {
      // A fragment spread is counted every time it is used; a cycle (refused by another rule) is cut.
      const fragment: FragmentDefinitionNode | null | undefined = context.getFragment(selection.name.value);
      if (!fragment || expanding.has(fragment.name.value)) continue;
      expanding.add(fragment.name.value);
      count(fragment.selectionSet, context, tally, expanding);
      expanding.delete(fragment.name.value);
    }
  }
}
