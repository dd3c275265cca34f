import { CUBES, LEARNER_NODES, type CubeDef, type JoinNode, type Nodes, type SqlOf } from '../model';
import { fragment, type CompileEnv, type Fragment, type ParamSink } from './sql-context';

/** The node holding the calendar row of a time dimension (joined only when a date or grain is read). */
export const dateNodeOf = (dimension: string) => `d_${dimension.replace(/[A-Z]/g, (ch) => `_${ch.toLowerCase()}`)}`;

const nodeCache = new Map<string, Record<string, JoinNode>>();

/** Every node a query over `cube` may join: the learner's, the cube's own, and one calendar per time dimension. */
export function nodesOf(cube: CubeDef): Record<string, JoinNode> {
  let nodes = nodeCache.get(cube.name);
  if (!nodes) {
    nodes = { ...LEARNER_NODES, ...cube.nodes };
    for (const name of [cube.name, ...cube.joins]) {
      for (const [dimension, def] of Object.entries(CUBES.get(name)?.dimensions ?? {})) {
        if (def.type !== 'time') continue;
        const key = def.sql;
        const node = dateNodeOf(dimension);
        nodes[node] = { table: 'dim_date', on: (n, c) => `${n[node]}.date_key = ${key(n, c)}` };
      }
    }
    nodeCache.set(cube.name, nodes);
  }
  return nodes;
}

/**
 * Renders member SQL over the query's cube and remembers which join nodes it read, so the FROM
 * clause joins exactly those (and the nodes they hang from), in dependency order.
 */
export class JoinPlanner {
  private readonly used = new Set<string>();
  private readonly nodes: Record<string, JoinNode>;
  readonly n: Nodes;

  constructor(
    readonly cube: CubeDef,
    private readonly env: CompileEnv,
  ) {
    this.nodes = nodesOf(cube);
    this.n = this.proxy(this.used);
  }

  /** Renders `sql` into `c`, recording the nodes it reads. */
  render(sql: SqlOf, c: ParamSink): string {
    return sql(this.n, c);
  }

  private proxy(record: Set<string>): Nodes {
    const nodes = this.nodes;
    const cubeName = this.cube.name;
    return new Proxy({}, {
      get(_target, name) {
        if (name === 'f') return 'f';
        if (typeof name !== 'string' || !(name in nodes)) {
          // A model bug, not a caller's: say which cube reads which missing node.
          throw new Error(`The ${cubeName} cube reads a join node '${String(name)}' it does not have.`);
        }
        const node = nodes[name];
        if ('self' in node) return 'f';
        record.add(name);
        return name;
      },
    });
  }

  /** `from <table> f left join ...` for the nodes read so far. Call after rendering everything else. */
  from(): Fragment {
    const ordered: { name: string; on: Fragment; table: Fragment }[] = [];
    const done = new Set<string>();
    const visit = (name: string, path: string[]) => {
      if (done.has(name)) return;
      if (path.includes(name)) throw new Error(`Join nodes of ${this.cube.name} depend on each other: ${[...path, name].join(' -> ')}.`);
      const node = this.nodes[name];
      if ('self' in node) return;
      const deps = new Set<string>();
      const on = fragment(this.env, (c) => node.on(this.proxy(deps), c));
      for (const dep of deps) if (dep !== name) visit(dep, [...path, name]);
      const table = fragment(this.env, (c) => (typeof node.table === 'string' ? c.gold(node.table) : node.table(c)));
      done.add(name);
      ordered.push({ name, on, table });
    };
    for (const name of [...this.used]) visit(name, []);
    const parts: Fragment[] = [{ sql: `from ${this.env.gold(this.cube.table)} f`, params: [] }];
    for (const j of ordered) {
      parts.push({ sql: `left join ${j.table.sql} ${j.name}`, params: j.table.params });
      parts.push({ sql: `on ${j.on.sql}`, params: j.on.params });
    }
    return { sql: parts.map((p) => p.sql).join(' '), params: parts.flatMap((p) => p.params) };
  }
}
