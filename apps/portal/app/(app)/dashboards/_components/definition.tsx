'use client';

import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { runOperation } from '@/app/_client/graphql-client';
import { MeasureDefinitionsQuery } from './dashboard.operations';

/** What a measure's figure counts, by member: the model's own sentence ('Attended over attended plus no-shows.'). */
export type Definitions = ReadonlyMap<string, string>;

/**
 * The model's definition of each measure the caller may query, asked once a session: a rate that
 * reads 100% with one of four signups attended is explained where it is shown.
 */
export function useDefinitions(): Definitions {
  const { data } = useQuery({ queryKey: ['measure-definitions'], queryFn: () => runOperation(MeasureDefinitionsQuery), staleTime: Infinity });
  const cubes = data?.meta.cubes ?? [];
  return new Map(cubes.flatMap((cube) => cube.measures.filter((m) => m.description).map((m) => [m.name, m.description] as const)));
}

/**
 * A small "i" beside a figure's name that shows, and hides, what the figure counts: a button, so a
 * keyboard and a screen reader reach it as a mouse does, and not a hover-only tooltip. Closed, it adds
 * no words to the name it sits beside (the "i" is drawn by the stylesheet), so the name reads as before.
 */
export function Definition({ term, text }: { term: string; text: string | undefined }) {
  const [open, setOpen] = useState(false);
  if (!text) return null;
  return (
    <span className="definition">
      <button
        type="button"
        className="definition-toggle"
        aria-expanded={open}
        aria-label={`What ${term} means`}
        title={text}
        onClick={() => setOpen(!open)}
        onKeyDown={(e) => {
          if (e.key === 'Escape') setOpen(false);
        }}
      />
      {open ? (
        <span className="definition-text" role="note">
          {term}: {text}
        </span>
      ) : null}
    </span>
  );
}
