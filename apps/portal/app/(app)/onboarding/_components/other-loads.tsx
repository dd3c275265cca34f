'use client';

import { countOf } from '@/app/_shared/count-of.util';
import type { LoadFieldsFragment } from '@/generated/browser/graphql';
import { useLocale } from '../../dashboards/_components/use-locale';
import { loadWhen } from './load-report';

/**
 * The recent loads other than the one reported above, each one click from its report: after a
 * refused load, the rows the load before it quarantined (and their download) are still to be fixed.
 */
export function OtherLoads({ loads, onShow }: { loads: LoadFieldsFragment[]; onShow: (loadId: string) => void }) {
  const locale = useLocale();
  return (
    <section className="card" aria-labelledby="other-loads">
      <h2 id="other-loads">Other recent loads</h2>
      <ul>
        {loads.map((load) => (
          <li key={load.id}>
            Load of {loadWhen(load, locale)}: {loadOutcome(load, locale)}.{' '}
            <button type="button" className="button" onClick={() => onShow(load.id)} aria-label={`Show its report: the load of ${loadWhen(load, locale)}`}>
              Show its report
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** "refused", "published version 3, 2 rows quarantined": what a load came to, in a few words. */
function loadOutcome(load: LoadFieldsFragment, locale: string): string {
  const outcome =
    load.status === 'failed' || load.status === 'cancelled'
      ? 'refused'
      : load.build?.status === 'succeeded'
        ? `published version ${load.build.dataVersion}`
        : load.build?.status === 'failed'
          ? 'its build failed'
          : 'in progress';
  return load.rowsQuarantined > 0 ? `${outcome}, ${countOf(load.rowsQuarantined, 'row', 'rows', locale)} quarantined` : outcome;
}
