'use client';

import { IntentLink } from '@/app/_client/intent-link';
import { measureColumns, rowsOf, type Tile } from './analytics.types';
import { Definition, useDefinitions } from './definition';
import { formatCell } from './format.util';

/** Headline figures; each count opens the learners it counts. */
export function KpiTile({ tile, locale, drillHref }: { tile: Tile; locale?: string; drillHref: (measure: string) => string }) {
  const row = rowsOf(tile.result.rows)[0] ?? {};
  const definitions = useDefinitions();
  return (
    <dl className="kpis">
      {measureColumns(tile).map((m) => (
        <div className="kpi" key={m.key}>
          <dt>
            {m.title}
            <Definition term={m.title} text={definitions.get(m.member)} />
          </dt>
          <dd>
            {tile.drill && m.format === 'integer' && Number(row[m.key] ?? 0) > 0 ? (
              <IntentLink href={drillHref(m.member)} aria-label={`${m.title}: ${formatCell(row[m.key], m, locale)}, open the learners`}>
                {formatCell(row[m.key], m, locale)}
              </IntentLink>
            ) : (
              formatCell(row[m.key], m, locale)
            )}
          </dd>
        </div>
      ))}
    </dl>
  );
}
