'use client';

import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useRouter, useSearchParams } from 'next/navigation';
import { useMemo, useState } from 'react';
import { focusById } from '@/app/_client/focus.util';
import { runOperation } from '@/app/_client/graphql-client';
import { rowsOf, type AnalyticsFilterInput, type AnalyticsQueryInput, type Tile } from '../../dashboards/_components/analytics.types';
import { ChartTile } from '../../dashboards/_components/chart-tile';
import { AnalyticsRowsQuery } from '../../dashboards/_components/dashboard.operations';
import { isCalendarDay } from '../../dashboards/_components/dashboard-url.util';
import { DayRangeInputs, type DayRange } from '../../dashboards/_components/day-range-inputs';
import { DataTable } from '../../dashboards/_components/data-table';
import { useSearchableValues, ValueSearchBox, ValueSearchNote } from '../../dashboards/_components/filter-bar';
import { ExportButtons } from '../../dashboards/_components/export-buttons';
import { formatAsOf, PERIOD_NAMES } from '../../dashboards/_components/format.util';
import { useLocale } from '../../dashboards/_components/use-locale';
import { ExploreMetaQuery } from './explore.operations';
import { cubeOf, DEFAULT_LIMIT, EXPLORE_CHARTS, exploreHref, MAX_LIMIT, stateFromParams, type ExploreChart, type ExploreState } from './explore-url.util';
import { SavedViewsPanel } from './saved-views-panel';

type Cube = NonNullable<ReturnType<typeof useMetaCubes>>[number];

function useMetaCubes() {
  const meta = useQuery({ queryKey: ['explore-meta'], queryFn: () => runOperation(ExploreMetaQuery), staleTime: Infinity });
  return meta.data?.meta.cubes;
}

/**
 * Explore: measures, dimensions, a filter, a time grain and a chart picked from the model (`meta`),
 * answered by the gateway's `analytics` in the caller's scope, shown as a chart and a table, and
 * saved as a named view (the caller's own, or shared with the organisation).
 */
export function ExploreView() {
  const router = useRouter();
  const searchParams = useSearchParams();
  const locale = useLocale();
  const state = useMemo(() => stateFromParams(new URLSearchParams(searchParams.toString())), [searchParams]);
  const cubes = useMetaCubes();
  const [chosenCube, setChosenCube] = useState('CourseProgress');
  const cubeName = state.query.measures[0] ? cubeOf(state.query.measures[0]) : chosenCube;
  const cube = cubes?.find((c) => c.name === cubeName);
  const joined = cubes?.filter((c) => cube?.joins.includes(c.name)) ?? [];
  const { query, chart } = state;

  // Each change of the query is a step of the browser's history: Back takes the last one off.
  const navigate = (next: ExploreState) => router.push(exploreHref(next), { scroll: false });
  const setQuery = (changes: Partial<AnalyticsQueryInput>) => navigate({ query: { ...query, ...changes }, chart });
  const toggle = (list: string[] | null | undefined, member: string) => {
    const current = list ?? [];
    return current.includes(member) ? current.filter((m) => m !== member) : [...current, member];
  };

  const ready = query.measures.length > 0;
  const answer = useQuery({
    queryKey: ['explore', query],
    queryFn: () => runOperation(AnalyticsRowsQuery, { query, reach: 'all' }),
    enabled: ready,
    placeholderData: keepPreviousData,
  });
  const result = ready ? answer.data?.analytics : undefined;
  // A pie is the shares of one grouping, and bars go along one: with two (a group and a time grain),
  // each name would come back once per month, so the answer is shown as its table, saying why.
  const groupings = (query.dimensions ?? []).length + (query.timeDimension?.granularity ? 1 : 0);
  // A pie of dozens of slices, or dozens of lines, is a legend taller than the chart: a table reads better.
  const rows = result ? rowsOf(result.rows) : [];
  const lines = chart === 'line' && query.timeDimension?.granularity ? distinctOf(rows, query.dimensions?.[0]) : 0;
  const unfit =
    groupings > 1 && (chart === 'pie' || chart === 'bar')
      ? `A ${chart === 'pie' ? 'pie' : 'bar'} chart shows one grouping, and this has ${groupings}: shown as a table. Group by one thing only, or choose a line chart${query.timeDimension?.granularity ? ' (one line per value, along the time)' : ''}.`
      : chart === 'pie' && rows.length > MOST_SLICES
        ? `A pie chart shows at most ${MOST_SLICES} shares, and this has ${rows.length.toLocaleString(locale)}: shown as a table. Choose a bar chart, or filter to fewer.`
        : lines > MOST_LINES
          ? `A line chart draws at most ${MOST_LINES} lines, and this has ${lines.toLocaleString(locale)}: shown as a table. Filter to fewer, or group by time only.`
          : undefined;
  const tile: Tile | undefined = result && {
    id: 'explore',
    title: 'Explore',
    chart,
    drill: false,
    query,
    pageSize: null,
    result: { columns: result.columns, rows: result.rows, hasMore: result.hasMore, total: result.total, partialPeriod: result.partialPeriod, partialStart: result.partialStart },
  };

  return (
    <>
      <div className="dashboard-head">
        <div>
          <h1>Explore</h1>
          <p className="lede">Pick what to count and how to cut it; save what you find as a view for yourself or your organisation.</p>
          {/* Why a figure here can differ from a dashboard's: the dashboards leave out inactive learners unless asked. */}
          <p className="hint">Explore counts every learner, active or not; filter by &ldquo;Active&rdquo; to count as the dashboards do.</p>
        </div>
      </div>
      <div className="explore">
        <form className="tile" aria-label="Build a query" onSubmit={(e) => e.preventDefault()}>
          <div className="field">
            <label htmlFor="explore-cube">Subject</label>
            <select
              id="explore-cube"
              value={cubeName}
              onChange={(e) => {
                setChosenCube(e.target.value);
                navigate({ query: { measures: [] }, chart });
              }}
            >
              {(cubes ?? []).map((c) => (
                <option key={c.name} value={c.name}>
                  {c.title}
                </option>
              ))}
            </select>
          </div>
          {cube ? (
            <>
              <MemberChoices legend="Measures" members={cube.measures} chosen={query.measures} onToggle={(m) => setQuery({ measures: toggle(query.measures, m) })} />
              {[cube, ...joined].map((c) => (
                <MemberChoices
                  key={c.name}
                  legend={c.name === cube.name ? 'Group by' : `Group by ${c.title.toLowerCase()}`}
                  members={c.dimensions.filter((d) => d.type !== 'time')}
                  chosen={query.dimensions ?? []}
                  onToggle={(m) => setQuery({ dimensions: toggle(query.dimensions, m) })}
                />
              ))}
              <TimeChoice cube={cube} query={query} onChange={(timeDimension) => setQuery({ timeDimension })} />
              <FilterChoice cubes={[cube, ...joined]} filters={query.filters ?? []} onChange={(filters) => setQuery({ filters })} />
              <div className="field">
                <label htmlFor="explore-chart">Show as</label>
                <select id="explore-chart" value={chart} onChange={(e) => navigate({ query, chart: e.target.value as ExploreChart })}>
                  {EXPLORE_CHARTS.map((c) => (
                    <option key={c.kind} value={c.kind}>
                      {c.label}
                    </option>
                  ))}
                </select>
              </div>
              <RowLimitField limit={query.limit ?? DEFAULT_LIMIT} onChange={(limit) => setQuery({ limit })} />
            </>
          ) : null}
        </form>

        <div>
          <section className="tile" aria-labelledby="explore-result" data-tile="explore">
            <h2 id="explore-result">Result</h2>
            {!ready ? (
              <p className="empty-state" role="status">
                Choose at least one measure.
              </p>
            ) : answer.error ? (
              <p className="notice error" role="alert">
                {answer.error.message}
              </p>
            ) : !tile || !result ? (
              <div className="skeleton" role="status" aria-busy="true" aria-label="Loading the answer">
                <div className="skeleton-block" />
              </div>
            ) : rowsOf(result.rows).length === 0 ? (
              <p className="empty-state" role="status">
                No rows match: widen the filters. Explore counts only the learners your access covers (a manager&rsquo;s reports, a viewer&rsquo;s
                organisations), and only what has been loaded for this subject.
              </p>
            ) : (
              <div aria-busy={answer.isFetching || undefined}>
                <p className="as-of" data-testid="as-of">
                  Data as of <strong>{formatAsOf(result.asOf, locale)}</strong> · version {result.dataVersion}
                </p>
                {result.hasMore ? <CutAnswer shown={rowsOf(result.rows).length} limit={query.limit} locale={locale} /> : null}
                {unfit ? (
                  <p className="notice" role="status" data-testid="chart-unfit">
                    {unfit}
                  </p>
                ) : null}
                {chart === 'table' || groupings === 0 || unfit ? (
                  <DataTable
                    caption="Result"
                    columns={result.columns}
                    rows={rowsOf(result.rows)}
                    locale={locale}
                    // Sorted by the warehouse (the query's order), so an answer the row limit cuts keeps the top rows of that order.
                    sort={query.order?.[0] ? { key: query.order[0].member, direction: query.order[0].direction === 'desc' ? 'desc' : 'asc' } : null}
                    onSort={(next) => setQuery({ order: [{ member: next.key, direction: next.direction }] })}
                  />
                ) : (
                  <ChartTile tile={tile} locale={locale} drillHref={() => ''} />
                )}
                <ExportButtons label="Explore result" request={{ query, reach: 'all' }} />
              </div>
            )}
          </section>
          <SavedViewsPanel state={state} canSave={ready} />
        </div>
      </div>
    </>
  );
}

/** The most slices a pie, and lines a line chart, draws before its legend outgrows it. */
const MOST_SLICES = 12;
const MOST_LINES = 10;

/** How many different values the rows hold in a column (0 without one). */
function distinctOf(rows: Record<string, unknown>[], key: string | undefined): number {
  return key ? new Set(rows.map((row) => row[key])).size : 0;
}

/**
 * Said beside an answer the row limit cut, so nobody reads it as the whole. An export without a limit
 * of its own has every row; one the person limited holds what the table holds.
 */
function CutAnswer({ shown, limit, locale }: { shown: number; limit: number | null | undefined; locale: string }) {
  return (
    <p className="notice" role="status" data-testid="cut-answer">
      Showing the first {shown.toLocaleString(locale)} rows; more match. Narrow the query
      {limit == null ? ', or export it for every row.' : limit < MAX_LIMIT ? ', or raise “Rows at most”.' : '.'}
    </p>
  );
}

function MemberChoices({ legend, members, chosen, onToggle }: { legend: string; members: { name: string; title: string }[]; chosen: string[]; onToggle: (member: string) => void }) {
  if (members.length === 0) return null;
  return (
    <fieldset>
      <legend>{legend}</legend>
      <div className="choices">
        {members.map((m) => (
          <label key={m.name} className="check">
            <input type="checkbox" checked={chosen.includes(m.name)} onChange={() => onToggle(m.name)} />
            {m.title}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

function TimeChoice({ cube, query, onChange }: { cube: Cube; query: AnalyticsQueryInput; onChange: (t: AnalyticsQueryInput['timeDimension']) => void }) {
  const times = cube.dimensions.filter((d) => d.type === 'time');
  if (times.length === 0) return null;
  const current = times.find((t) => t.name === query.timeDimension?.dimension);
  const given = query.timeDimension?.dateRange;
  const range = given && given.length === 2 ? ([given[0], given[1]] as [string, string]) : undefined;
  return (
    <fieldset>
      <legend>Over time</legend>
      <div className="field">
        <label htmlFor="explore-time">Date</label>
        <select
          id="explore-time"
          value={current?.name ?? ''}
          onChange={(e) =>
            onChange(e.target.value ? { dimension: e.target.value, granularity: query.timeDimension?.granularity ?? 'month', ...(range ? { dateRange: range } : {}) } : null)
          }
        >
          <option value="">None</option>
          {times.map((t) => (
            <option key={t.name} value={t.name}>
              {t.title}
            </option>
          ))}
        </select>
      </div>
      {current ? (
        <div className="field">
          <label htmlFor="explore-grain">By</label>
          <select
            id="explore-grain"
            value={query.timeDimension?.granularity ?? 'month'}
            onChange={(e) => onChange({ dimension: current.name, granularity: e.target.value as never, ...(range ? { dateRange: range } : {}) })}
          >
            {(current.granularities ?? []).map((g) => (
              <option key={g} value={g}>
                {grainTitle(g)}
              </option>
            ))}
          </select>
        </div>
      ) : null}
      {current ? <DateRangeChoice range={range} onChange={(dateRange) => onChange({ dimension: current.name, granularity: query.timeDimension?.granularity ?? 'month', ...(dateRange ? { dateRange } : {}) })} /> : null}
    </fieldset>
  );
}

/**
 * The days the series keeps, both included ("From" and "To"; the query's `timeDimension.dateRange`,
 * so a saved view keeps them). Applied once both are days and in order; an end left empty leaves the
 * series whole.
 */
function DateRangeChoice({ range, onChange }: { range: [string, string] | undefined; onChange: (range: [string, string] | null) => void }) {
  const [ends, setEnds] = useState({ from: range?.[0] ?? '', to: range?.[1] ?? '' });
  // A range from elsewhere (a saved view opened, the back button) replaces what was typed.
  const given = range?.join('..') ?? '';
  const [shown, setShown] = useState(given);
  if (shown !== given) {
    setShown(given);
    setEnds({ from: range?.[0] ?? '', to: range?.[1] ?? '' });
  }
  const typed = (end: keyof DayRange, day: string) => {
    const next = { ...ends, [end]: day };
    setEnds(next);
    if (next.from === '' || next.to === '') {
      if (range) onChange(null);
      return;
    }
    if (isCalendarDay(next.from) && isCalendarDay(next.to) && next.from <= next.to) onChange([next.from, next.to]);
  };
  return (
    <div className="field" role="group" aria-labelledby="explore-between">
      <span id="explore-between" className="field-title">
        Between
      </span>
      <DayRangeInputs name="Over time" what="range" ends={ends} onChange={typed} />
    </div>
  );
}

/** A time grain as the menu says it ('Fiscal year'). */
const grainTitle = (grain: string) => {
  const name = PERIOD_NAMES[grain] ?? grain;
  return `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
};

/** A yes-or-no field's two values as the filter offers them. */
const YES_NO = [
  { value: 'true', label: 'Yes' },
  { value: 'false', label: 'No' },
];

/** One "equals" filter at a time, on any text or yes-or-no member the subject can be cut by ("Active: Yes" counts as the dashboards do). */
function FilterChoice({ cubes, filters, onChange }: { cubes: Cube[]; filters: AnalyticsFilterInput[]; onChange: (f: AnalyticsFilterInput[]) => void }) {
  const members = cubes.flatMap((c) =>
    c.dimensions.filter((d) => d.type === 'string' || d.type === 'boolean').map((d) => ({ ...d, label: `${c.title}: ${d.title}` })),
  );
  const [member, setMember] = useState('');
  const [value, setValue] = useState('');
  const title = (name: string) => members.find((m) => m.name === name)?.label ?? name;
  const isYesNo = members.find((m) => m.name === member)?.type === 'boolean';
  // A field's values are chosen from a list (a coded one's by label; the filter sends the code), as
  // a dashboard's filters offer them (searched when there are more than it lists); typed only when
  // the list cannot be had. A yes-or-no field has its two.
  const searched = useSearchableValues(member, 'all', Boolean(member) && !isYesNo);
  const choices = isYesNo ? { ...searched, values: YES_NO, isPending: false, isError: false, search: undefined } : searched;
  const shown = (name: string, v: unknown) =>
    typeof v === 'boolean' ? (v ? 'Yes' : 'No') : (members.find((m) => m.name === name)?.values?.find((c) => c.value === v)?.label ?? String(v));
  return (
    <fieldset>
      <legend>Filters</legend>
      {filters.length > 0 ? (
        <ul className="saved-views">
          {filters.map((f, i) => (
            <li key={`${f.member}-${i}`}>
              <span>
                {title(f.member)} = {(f.values ?? []).map((v) => shown(f.member, v)).join(', ')}
              </span>
              <button
                type="button"
                className="button small"
                onClick={() => {
                  onChange(filters.filter((_, j) => j !== i));
                  // The button goes with its filter: the keyboard goes on from "Where", not the page's top.
                  focusById('explore-filter-member');
                }}
                aria-label={`Remove filter ${title(f.member)}`}
              >
                Remove
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      <div className="field">
        <label htmlFor="explore-filter-member">Where</label>
        <select
          id="explore-filter-member"
          value={member}
          onChange={(e) => {
            setMember(e.target.value);
            setValue('');
          }}
        >
          <option value="">Choose a field</option>
          {members.map((m) => (
            <option key={m.name} value={m.name}>
              {m.label}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="explore-filter-value">Is</label>
        {member && !choices.isError && choices.search ? <ValueSearchBox id="explore-filter-value" label={title(member)} search={choices.search} /> : null}
        {member && !choices.isError ? (
          <select id="explore-filter-value" value={value} onChange={(e) => setValue(e.target.value)} aria-busy={choices.isPending || undefined}>
            <option value="">{choices.isPending ? 'Loading values…' : 'Choose a value'}</option>
            {choices.values.map((c) => (
              <option key={c.value} value={c.value}>
                {c.label}
              </option>
            ))}
          </select>
        ) : (
          <input id="explore-filter-value" value={value} onChange={(e) => setValue(e.target.value)} />
        )}
        {member && !choices.isError && choices.search ? <ValueSearchNote id="explore-filter-value" search={choices.search} found={choices.values.length} /> : null}
      </div>
      <button
        type="button"
        className="button small"
        disabled={!member || !value.trim()}
        onClick={() => {
          onChange([...filters, { member, operator: 'equals', values: [isYesNo ? value === 'true' : value.trim()] }]);
          setValue('');
          // "Add filter" is disabled until the next value: the keyboard goes on from "Where", not the page's top.
          focusById('explore-filter-member');
        }}
      >
        Add filter
      </button>
    </fieldset>
  );
}

/**
 * "Rows at most": typed freely (cleared and typed again, "50" stays 50), applied when the field is
 * left or Enter pressed; anything but a whole number from 1 to the most an answer holds is said to be
 * so and not applied.
 */
function RowLimitField({ limit, onChange }: { limit: number; onChange: (limit: number) => void }) {
  const [draft, setDraft] = useState<string | null>(null);
  const text = draft ?? String(limit);
  const value = Number(text);
  const valid = /^\d+$/.test(text.trim()) && value >= 1 && value <= MAX_LIMIT;
  const apply = () => {
    if (!valid) return;
    setDraft(null);
    if (value !== limit) onChange(value);
  };
  return (
    <div className="field">
      <label htmlFor="explore-limit">Rows at most</label>
      <input
        id="explore-limit"
        type="number"
        min={1}
        max={MAX_LIMIT}
        value={text}
        aria-invalid={valid ? undefined : true}
        aria-describedby={valid ? undefined : 'explore-limit-error'}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={apply}
        onKeyDown={(e) => {
          if (e.key === 'Enter') {
            e.preventDefault();
            apply();
          }
        }}
      />
      {valid ? null : (
        <p id="explore-limit-error" className="field-error" role="alert">
          A whole number from 1 to {MAX_LIMIT.toLocaleString('en-GB')}.
        </p>
      )}
    </div>
  );
}
