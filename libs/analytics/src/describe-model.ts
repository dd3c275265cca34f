import { FILTER_OPERATORS, GRANULARITIES, type CubeMeta, type ModelMeta } from './analytics.types';
import { CUBES } from './model';

/** The model for `meta`: what a caller may ask for, with titles, types and descriptions. */
export function describeModel(): ModelMeta {
  const cubes: CubeMeta[] = [...CUBES.values()].map((cube) => ({
    name: cube.name,
    title: cube.title,
    description: cube.description,
    table: `gold.${cube.table}`,
    measures: Object.entries(cube.measures).map(([name, m]) => ({
      name: `${cube.name}.${name}`,
      title: m.title,
      description: m.description,
      type: 'number' as const,
      format: m.format,
    })),
    dimensions: Object.entries(cube.dimensions).map(([name, d]) => ({
      name: `${cube.name}.${name}`,
      title: d.title,
      description: d.description,
      type: d.type,
      ...(d.type === 'time' ? { granularities: [...GRANULARITIES] } : {}),
      ...(d.values ? { values: d.values } : {}),
    })),
    joins: [...cube.joins],
    rollups: (cube.rollups ?? []).map((r) => ({
      name: `${cube.name}.${r.name}`,
      measures: r.measures.map((m) => `${cube.name}.${m}`),
      dimensions: [...r.dimensions],
      ...(r.timeDimension ? { timeDimension: r.timeDimension.dimension, granularity: r.timeDimension.granularity } : {}),
    })),
  }));
  return { cubes, granularities: [...GRANULARITIES], filterOperators: [...FILTER_OPERATORS] };
}
