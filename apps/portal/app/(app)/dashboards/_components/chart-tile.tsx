'use client';

import { useRouter } from 'next/navigation';
import { useId, useMemo, useState, type ReactElement, type ReactNode } from 'react';
import { Bar, BarChart, CartesianGrid, Cell as ShapeCell, Legend, Line, LineChart, Pie, PieChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { ValueTone } from '@/generated/browser/graphql';
import { dimensionColumns, measureColumns, queryOf, rowsOf, type AnalyticsQueryInput, type Cell, type Column, type Reach, type Row, type Tile } from './analytics.types';
import { DataTable, sortRows, type SortState } from './data-table';
import { useDefinitions } from './definition';
import { ExportButtons } from './export-buttons';
import { formatCell, formatShare, PERIOD_NAMES } from './format.util';

// Calm, distinguishable hues, each at least 3:1 against white (WCAG non-text contrast).
const PALETTE = ['#2f5d8a', '#c26a2e', '#3f7f5b', '#8a4f9e', '#9a7b1c', '#4d6f82', '#b04a5a', '#5a6270'];

/**
 * A coded value's colour by what it means (its tone), the same on every chart: red is red, complete
 * is green. Two values of one tone (complete, complete by RPL) take its shades in the model's order.
 * Each at least 3:1 against white, as the palette.
 */
const TONE_COLOURS: Record<ValueTone, string[]> = {
  good: ['#2e7d4f', '#5a7f1e'],
  warning: ['#a15c00', '#8a6d1c'],
  bad: ['#b3261e', '#8e3b5a'],
  active: ['#2f5d8a', '#4d6f82'],
  neutral: ['#6b7280', '#8a4f9e', '#5a6270'],
};

/**
 * The colour of each value of `column` among `values` (in the order drawn): a coded value's by its
 * tone (or, without one, by its place in the model's list), so it does not change with the filters;
 * any other by its place in `values`.
 */
function coloursOf(column: Column | undefined, values: readonly unknown[]): Map<unknown, string> {
  const declared = column?.values ?? [];
  const colours = new Map<unknown, string>();
  values.forEach((value, i) => {
    const at = declared.findIndex((v) => v.value === value);
    const coded = declared[at];
    if (!coded) colours.set(value, PALETTE[i % PALETTE.length]);
    else if (!coded.tone) colours.set(value, PALETTE[at % PALETTE.length]);
    else {
      const shades = TONE_COLOURS[coded.tone];
      const nth = declared.slice(0, at).filter((v) => v.tone === coded.tone).length;
      colours.set(value, shades[nth % shades.length]);
    }
  });
  return colours;
}

/** Rows in the model's order of `column`'s codes (a legend reads Red, Amber, Green), codes it does not list after them. */
function inCodeOrder(rows: Row[], column: Column): Row[] {
  const declared = column.values;
  if (!declared?.length) return rows;
  const rank = (row: Row) => {
    const at = declared.findIndex((v) => v.value === row[column.key]);
    return at < 0 ? declared.length : at;
  };
  return [...rows].sort((a, b) => rank(a) - rank(b));
}

interface ChartTileProps {
  tile: Tile;
  locale?: string;
  /** The list behind a row's figure of `measure` (a bar, a point); without one, behind the whole row. */
  drillHref: (row: Row, measure?: string) => string;
  /**
   * A dashboard's chart: what its export of every row is named after and scoped to (the dashboard's
   * title and the caller's reach) when it is cut. Explore says so of its answers itself.
   */
  cut?: { exportLabel: string; reach: Reach };
}

/**
 * A chart and, under it, the same rows as a table: the table is how a keyboard or screen-reader
 * user reads the chart and opens its drill lists; a click on a bar or slice opens the same list.
 */
export function ChartTile({ tile, locale, drillHref, cut }: ChartTileProps) {
  const router = useRouter();
  const rows = rowsOf(tile.result.rows);
  const dims = dimensionColumns(tile);
  const measures = measureColumns(tile);
  const [sort, setSort] = useState<SortState | null>(null);
  const sorted = useMemo(() => sortRows(rows, sort), [rows, sort]);
  const definitions = useDefinitions();
  // One axis per chart: the measures sharing the first one's format (a rate is not drawn on a count's
  // scale). When those are empty on every row (a fiscal year before the first load has counts and no
  // rates), the next format that has figures is drawn, and a note says so, rather than an empty chart.
  const first = measures.filter((m) => m.format === measures[0]?.format);
  const others = rows.length > 0 && !hasFigures(rows, first) ? measures.filter((m) => m.format !== measures[0]?.format) : [];
  const drawn = others.find((m) => hasFigures(rows, [m]));
  const fallback = drawn ? others.filter((m) => m.format === drawn.format) : [];
  const plotted = fallback.length > 0 ? fallback : first;
  // A line runs along its time axis whatever the column order (the gateway puts the time dimension
  // after the others), and any other dimension becomes the series.
  const time = queryOf(tile).timeDimension?.dimension;
  const axis = tile.chart === 'line' && time ? dims.find((d) => d.member === time) : undefined;
  const category = axis ?? dims[0];
  // A dimension with one value per point (a fiscal year's "before the first load" note) labels it
  // in the table; only one that splits a point into several draws a line per value.
  const series = dims.find((d) => d !== category && splitsPoints(rows, category, d));
  // What the other dimensions say of some points (why a year has no rates), said beside the chart too.
  const notes = category ? pointNotes(rows, category, dims.filter((d) => d !== category && d !== series), locale) : [];
  // The bar or point clicked is one measure's figure: its list is that measure's rows, not the whole row's.
  const open = (row: Row | undefined, measure: string) => {
    if (tile.drill && row) router.push(drillHref(row, measure));
  };
  // Drawn outside the chart's scrolling box, above it, so every colour is named however far the bars run.
  const [legend, setLegend] = useState<HTMLDivElement | null>(null);
  const tableColumns = [...dims, ...measures];
  const partials = category ? partialPointsOf(tile, category, locale) : [];
  // One tile's hatch patterns must not answer another tile's url(#...) on the same page.
  const hatchId = `hatch-${useId().replace(/[^a-zA-Z0-9_-]/g, '')}`;

  return (
    <figure className="chart-figure">
      <div className="chart" aria-hidden={rows.length === 0 ? true : undefined}>
        <div className="chart-legend" ref={setLegend} />
        {category && plotted.length > 0 ? (
          <ChartFrame height={chartHeight(tile, rows, category, plotted)} title={tile.title}>
            {renderChart(tile, rows, category, series, plotted, locale, open, partials, hatchId, legend)}
          </ChartFrame>
        ) : null}
      </div>
      {fallback.length > 0 ? (
        <p className="chart-note" data-testid="drawn-instead">
          {listOf(first.map((m) => m.title), locale)} {first.length > 1 ? 'are' : 'is'} empty for every {category?.title.toLowerCase() ?? 'row'} shown, so the chart
          draws {listOf(plotted.map((m) => m.title), locale)} instead.
        </p>
      ) : null}
      {notes.map((note) => (
        <p key={note.text} className="chart-note" data-testid="point-note">
          {note.points}: {note.text}.
        </p>
      ))}
      {partials
        .filter((partial) => rows.some((row) => String(row[category.key]) === partial.value))
        .map((partial) => (
          <p key={partial.edge} className="chart-note" data-testid={partial.edge === 'end' ? 'partial-period' : 'partial-start'}>
            {partial.label}: {partial.note}, so its figures are not a whole {partial.period}&apos;s{markOf(tile.chart, plotted.length)}.
          </p>
        ))}
      {cut && tile.result.hasMore ? <CutChart tile={tile} locale={locale} {...cut} /> : null}
      <figcaption className="visually-hidden">{tile.title}: the table below holds the same figures.</figcaption>
      <details className="chart-data">
        <summary>Data table</summary>
        <DataTable
          caption={tile.title}
          columns={tableColumns}
          rows={sorted}
          locale={locale}
          sort={sort}
          onSort={setSort}
          drillHref={tile.drill ? drillHref : undefined}
          measures={measures}
          definitions={definitions}
        />
      </details>
    </figure>
  );
}

/**
 * A ranked chart draws its first `limit` rows (the 50 organisations with the most enrolments): when
 * there are more, it says so and offers them all, the same query without its limit, in the same
 * order and scope, as a file (the export of a query keeps a limit it asks for, so it is taken off).
 */
function CutChart({ tile, locale, exportLabel, reach }: { tile: Tile; locale?: string; exportLabel: string; reach: Reach }) {
  const query = queryOf(tile);
  const shown = rowsOf(tile.result.rows).length;
  const [first] = query.order ?? [];
  const by = first ? tile.result.columns.find((c) => c.member === first.member) : undefined;
  const { limit: _limit, offset: _offset, ...every } = query;
  const whole: AnalyticsQueryInput = every;
  const ranking = by ? ` by ${by.title}, ${first.direction === 'asc' ? 'smallest' : 'largest'} first` : '';
  return (
    <div className="chart-note cut-chart" role="status" data-testid="cut-chart">
      <p>
        Showing the first {shown.toLocaleString(locale)}
        {ranking}; there are more. Export all of them, in this order:
      </p>
      <ExportButtons label={`${exportLabel} ${tile.title}`} request={{ query: whole, reach }} />
    </div>
  );
}

/** A legend in the order drawn (the model's measures, a coded dimension's codes), not alphabetical, recharts' default. */
function inOrderOf(names: string[]) {
  return (item: { value?: unknown }) => names.indexOf(String(item.value));
}

function hasFigures(rows: Row[], columns: Column[]): boolean {
  return rows.some((row) => columns.some((c) => row[c.key] !== null && row[c.key] !== undefined));
}

function listOf(items: string[], locale: string | undefined): string {
  return new Intl.ListFormat(locale, { type: 'conjunction' }).format(items);
}

/** Points a note may list at most: past that, a dimension that labels every point is the table's to show. */
const MAX_NOTED_POINTS = 20;

/**
 * Each text a labelling dimension gives points of the chart, with those points: "2023 and 2024:
 * before the first load: completions only". Only a dimension that is a note, not a name: it leaves
 * some points empty, or says one thing of all of them.
 */
function pointNotes(rows: Row[], category: Column, labels: Column[], locale: string | undefined): { text: string; points: string }[] {
  const byText = new Map<string, string[]>();
  if (rows.length > MAX_NOTED_POINTS) return [];
  const isNote = (c: Column) => {
    const texts = rows.map((row) => row[c.key]);
    return texts.some((t) => t === null || t === undefined || t === '') || new Set(texts).size === 1;
  };
  for (const column of labels.filter((c) => c.type === 'string' && isNote(c))) {
    for (const row of sortRows(rows, { key: category.key, direction: 'asc' })) {
      const value = row[column.key];
      if (value === null || value === undefined || value === '') continue;
      const text = formatCell(value, column, locale);
      const point = formatCell(row[category.key], category, locale);
      const points = byText.get(text) ?? [];
      if (!points.includes(point)) points.push(point);
      byText.set(text, points);
    }
  }
  return [...byText].map(([text, points]) => ({ text, points: listOf(points, locale) }));
}

function splitsPoints(rows: Row[], category: Column, dimension: Column): boolean {
  const valueAt = new Map<unknown, unknown>();
  return rows.some((row) => {
    const point = row[category.key];
    if (valueAt.has(point) && valueAt.get(point) !== row[dimension.key]) return true;
    valueAt.set(point, row[dimension.key]);
    return false;
  });
}

/** A period of the chart's time axis holding only part of its days (the data or the chosen period ends or starts inside it), as the axis labels it. */
interface PartialPoint {
  /** The series' first period (the chosen period starts inside it) or its last. */
  edge: 'start' | 'end';
  /** The axis value (as text) of the incomplete period. */
  value: string;
  /** Its axis label, e.g. "Jun 2026". */
  label: string;
  period: string;
  /** E.g. "month to date, to 29 Jun". */
  note: string;
}

function partialPointsOf(tile: Tile, category: Column, locale: string | undefined): PartialPoint[] {
  const granularity = queryOf(tile).timeDimension?.granularity;
  if (!granularity) return [];
  const period = PERIOD_NAMES[granularity] ?? granularity;
  const day = (iso: string) => new Intl.DateTimeFormat(locale, { day: 'numeric', month: 'short', timeZone: 'UTC' }).format(new Date(`${iso}T00:00:00Z`));
  const point = (edge: PartialPoint['edge'], value: unknown, note: string): PartialPoint => ({
    edge,
    value: String(value),
    label: formatCell(value as Cell, category, locale),
    period,
    note,
  });
  const points: PartialPoint[] = [];
  const { partialStart: start, partialPeriod: end } = tile.result;
  if (start && start.column === category.key) points.push(point('start', start.value, `from ${day(start.from)} only, where the chosen period starts`));
  if (end && end.column === category.key) {
    points.push(point('end', end.value, end.reason === 'range' ? `to ${day(end.through)} only, where the chosen period ends` : `${period} to date, to ${day(end.through)}`));
  }
  return points;
}

/** Where the chart draws the incomplete period, said in the note so it is not told by the drawing alone. */
function markOf(chart: Tile['chart'], measures: number): string {
  if (chart === 'line') return ' (the dashed part of the line)';
  if (chart === 'bar') return measures > 1 ? ' (the hatched bars)' : ' (the hatched bar)';
  return '';
}

/** The suffix of the key holding a line's values into and out of the incomplete period, drawn dashed. */
const PARTIAL_KEY = ' (incomplete)';

/**
 * Splits each line at the incomplete period: the solid line stops at the last whole period and a
 * dashed one runs into (and out of) the partial one, so its low figure does not read as a decline.
 */
function splitAtPartial(points: Record<string, unknown>[], keys: string[], indexes: number[]): Record<string, unknown>[] {
  if (indexes.length === 0) return points;
  return points.map((point, i) => {
    const copy = { ...point };
    for (const key of keys) {
      copy[`${key}${PARTIAL_KEY}`] = indexes.some((index) => Math.abs(i - index) <= 1) ? point[key] : null;
      if (indexes.includes(i)) copy[key] = null;
    }
    return copy;
  });
}

/** The indexes of the partial periods among the chart's points. */
function partialIndexes<T>(points: readonly T[], partials: readonly PartialPoint[], matches: (point: T, partial: PartialPoint) => boolean): number[] {
  return partials.map((partial) => points.findIndex((point) => matches(point, partial))).filter((at) => at >= 0);
}

/** The partial period labelled `label`, for a tooltip's heading. */
const partialLabelled = (partials: readonly PartialPoint[], label: unknown) => partials.find((partial) => partial.label === label);

/**
 * The default tooltip's content, each line once (its solid and dashed parts share a name), and the
 * incomplete period's label saying so.
 */
interface LineTooltipProps {
  active?: boolean;
  payload?: readonly { name?: unknown; value?: unknown; color?: string; dataKey?: unknown }[];
  label?: unknown;
  partials: readonly PartialPoint[];
  format: (value: unknown, key: string) => string;
}

function LineTooltip({ active, payload, label, partials, format }: LineTooltipProps) {
  const partial = partialLabelled(partials, label);
  if (!active || !payload?.length) return null;
  const seen = new Set<string>();
  const items = payload.filter((item) => {
    const name = String(item.name);
    if (item.value === null || item.value === undefined || seen.has(name)) return false;
    seen.add(name);
    return true;
  });
  return (
    <div className="chart-tooltip">
      <p className="chart-tooltip-label">
        {String(label)}
        {partial ? ` (${partial.note})` : ''}
      </p>
      <ul>
        {items.map((item) => (
          <li key={String(item.name)} style={{ color: item.color }}>
            {String(item.name)}: {format(item.value, String(item.dataKey).replace(PARTIAL_KEY, ''))}
          </li>
        ))}
      </ul>
    </div>
  );
}

/** An empty figure (a rate with nothing to divide) is a gap in the chart, not a zero. */
function plotValue(value: Row[string]): number | null {
  return value === null || value === undefined ? null : Number(value);
}

function renderChart(
  tile: Tile,
  rows: Row[],
  category: Column,
  series: Column | undefined,
  plotted: Column[],
  locale: string | undefined,
  open: (row: Row | undefined, measure: string) => void,
  partials: readonly PartialPoint[],
  hatchId: string,
  legend: HTMLElement | null,
) {
  // Null until the tile's legend box is in the page: recharts then draws the legend in the chart.
  const portal = legend ?? undefined;
  const format = (value: unknown, column: Column) => formatCell(value as Row[string], column, locale);
  const tick = (value: unknown, column: Column) => formatCell(value as Row[string], column, locale, 'axis');
  const label = (row: Row) => format(row[category.key], category);
  const clickable = tile.drill ? { cursor: 'pointer' } : undefined;

  if (tile.chart === 'pie') {
    const measure = plotted[0];
    const slices = inCodeOrder(rows, category);
    const colours = coloursOf(category, slices.map((row) => row[category.key]));
    const data = slices.map((row) => ({ name: label(row), value: Number(row[measure.key] ?? 0), row, fill: colours.get(row[category.key]) }));
    // Each slice's figure and share written beside its name: a pie read without hovering.
    const whole = data.reduce((sum, slice) => sum + slice.value, 0);
    const figures = new Map(data.map((slice) => [slice.name, `${format(slice.value, measure)} · ${formatShare(slice.value, whole, locale)}`]));
    return (
      <PieChart>
        <Pie
          data={data}
          dataKey="value"
          nameKey="name"
          outerRadius="80%"
          isAnimationActive={false}
          onClick={(entry) => open((entry as { payload?: { row?: Row } }).payload?.row, measure.member)}
          style={clickable}
        >
          {data.map((slice, i) => (
            <ShapeCell key={i} fill={slice.fill} />
          ))}
        </Pie>
        <Tooltip formatter={(value) => format(value, measure)} />
        {/* The slices' order (a coded dimension's: Red, Amber, Green), not the labels' alphabet. */}
        <Legend
          portal={portal}
          itemSorter={inOrderOf(data.map((slice) => slice.name))}
          formatter={(name: string) => (
            <>
              <span className="legend-name">{name}</span> <span className="legend-figure">{figures.get(name)}</span>
            </>
          )}
        />
      </PieChart>
    );
  }

  if (tile.chart === 'line') {
    // A second dimension (e.g. learning source by month) becomes one line per value.
    const measure = plotted[0];
    if (series) {
      const codes = [...new Set(inCodeOrder(rows, series).map((r) => r[series.key]))];
      const colours = coloursOf(series, codes);
      const names = codes.map((code) => format(code, series));
      const colourOf = (i: number) => colours.get(codes[i]) ?? PALETTE[i % PALETTE.length];
      const byCategory = new Map<string, Record<string, unknown>>();
      // Each point's row, by its month and its line: what a click on that line's dot lists.
      const rowAt = new Map<string, Row>();
      const at = (point: unknown, line: string) => `${String(point)}\u0000${line}`;
      // Points in the axis's order (ISO dates and numbers compare as they read), not the rows'.
      const along = sortRows(rows, { key: category.key, direction: 'asc' });
      for (const row of along) {
        const key = label(row);
        // A month without a source's rows is none of its hours: 0, not a gap in its line.
        const point = byCategory.get(key) ?? { name: key, ...Object.fromEntries(names.map((name) => [name, 0])) };
        point[format(row[series.key], series)] = Number(row[measure.key] ?? 0);
        byCategory.set(key, point);
        rowAt.set(at(key, format(row[series.key], series)), row);
      }
      const points = [...byCategory.values()];
      const partialAt = partialIndexes(points, partials, (p, partial) => p.name === partial.label);
      return (
        <LineChart data={splitAtPartial(points, names, partialAt)}>
          <CartesianGrid strokeDasharray="3 3" stroke="#d5d9e0" />
          <XAxis dataKey="name" />
          <YAxis tickFormatter={(v) => tick(v, measure)} width={70} />
          <Tooltip content={(props) => <LineTooltip active={props.active} payload={props.payload} label={props.label} partials={partials} format={(value) => format(value, measure)} />} />
          <Legend portal={portal} itemSorter={inOrderOf(names)} />
          {names.map((name, i) => (
            <Line
              key={name}
              type="monotone"
              dataKey={name}
              stroke={colourOf(i)}
              dot={false}
              isAnimationActive={false}
              // The enlarged dot under the pointer opens that line's figure for that month (none for a
              // month the line has no rows in: its 0 is drawn, not counted).
              activeDot={(dot: ActiveDot) => {
                const row = rowAt.get(at(dot.payload?.name, name));
                return (
                  <circle key={`${name}-${String(dot.payload?.name)}`} cx={dot.cx} cy={dot.cy} r={6} fill={dot.fill} stroke="#fff" strokeWidth={2} style={row ? clickable : undefined} onClick={() => open(row, measure.member)} />
                );
              }}
            />
          ))}
          {partialAt.length > 0 ? names.map((name, i) => partialLine(`${name}${PARTIAL_KEY}`, name, colourOf(i), false)) : null}
        </LineChart>
      );
    }
    const points = rows.map((row) => ({ name: label(row), row, ...Object.fromEntries(plotted.map((m) => [m.key, plotValue(row[m.key])])) }));
    const partialAt = partialIndexes(rows, partials, (row, partial) => String(row[category.key]) === partial.value);
    const measureOf = (key: string) => plotted.find((m) => m.key === key) ?? plotted[0];
    // A click anywhere over a point's month (or year) opens the learners behind it, as a bar's does:
    // the point the tooltip shows, so the target is the column under the pointer, not a 6 px dot.
    const pointAt = (state: { activeTooltipIndex?: unknown }) => points[Number(state.activeTooltipIndex)]?.row;
    // With several lines, the month alone does not say whose figure was meant: the point under the
    // pointer (the enlarged dot the tooltip shows) opens its own line's list.
    const onePoint = plotted.length === 1 ? plotted[0].member : undefined;
    return (
      <LineChart
        data={splitAtPartial(points, plotted.map((m) => m.key), partialAt)}
        onClick={onePoint ? (state) => open(pointAt(state), onePoint) : undefined}
        style={clickable}
      >
        <CartesianGrid strokeDasharray="3 3" stroke="#d5d9e0" />
        <XAxis dataKey="name" />
        <YAxis tickFormatter={(v) => tick(v, plotted[0])} width={70} />
        <Tooltip
          content={(props) => <LineTooltip active={props.active} payload={props.payload} label={props.label} partials={partials} format={(value, key) => format(value, measureOf(key))} />}
        />
        <Legend portal={portal} itemSorter={inOrderOf(plotted.map((m) => m.title))} />
        {plotted.map((m, i) => (
          <Line
            key={m.key}
            type="monotone"
            dataKey={m.key}
            name={m.title}
            stroke={PALETTE[i % PALETTE.length]}
            strokeWidth={measureLineWidth(i, plotted.length)}
            isAnimationActive={false}
            activeDot={onePoint ? true : (dot: ActiveDot) => <circle cx={dot.cx} cy={dot.cy} r={6} fill={dot.fill} stroke="#fff" strokeWidth={2} style={clickable} onClick={() => open(dot.payload?.row, m.member)} />}
          />
        ))}
        {partialAt.length > 0
          ? plotted.map((m, i) => partialLine(`${m.key}${PARTIAL_KEY}`, m.title, PALETTE[i % PALETTE.length], undefined, measureLineWidth(i, plotted.length)))
          : null}
      </LineChart>
    );
  }

  const data = rows.map((row) => ({ name: label(row), row, ...Object.fromEntries(plotted.map((m) => [m.key, plotValue(row[m.key])])) }));
  const partialAt = partialIndexes(rows, partials, (row, partial) => String(row[category.key]) === partial.value);
  const across = barsAcross(tile, category);
  // Names (programs, organisations) down the side, every one of them written out, where a row of
  // vertical bars had room under it for one name in three; periods along the bottom, in time's order.
  // On a phone the names' column is narrower, so the bars keep room to be compared (charts draw in the browser only).
  const widest = typeof window !== 'undefined' && window.innerWidth < NARROW_SCREEN ? NARROW_LABEL_WIDTH : MAX_LABEL_WIDTH;
  const labelWidth = across ? Math.min(widest, Math.max(60, Math.ceil(Math.max(...data.map((d) => d.name.length)) * LABEL_CHAR_WIDTH) + LABEL_PADDING)) : 0;
  const labels = shortLabels(data.map((d) => d.name), labelWidth);
  return (
    <BarChart data={data} layout={across ? 'vertical' : 'horizontal'}>
      {partialAt.length > 0 ? <defs>{plotted.map((_, i) => hatch(`${hatchId}-${i}`, PALETTE[i % PALETTE.length]))}</defs> : null}
      <CartesianGrid strokeDasharray="3 3" stroke="#d5d9e0" />
      {across ? (
        <>
          {/* A chart that scrolls keeps its scale at the top, in sight as the names begin. */}
          <XAxis type="number" tickFormatter={(v) => tick(v, plotted[0])} orientation={chartHeight(tile, rows, category, plotted) > MAX_CHART_HEIGHT ? 'top' : 'bottom'} />
          <YAxis type="category" dataKey="name" width={labelWidth} interval={0} tick={{ fontSize: 12 }} tickFormatter={(name: string) => labels.get(name) ?? name} />
        </>
      ) : (
        <>
          <XAxis dataKey="name" interval="preserveStartEnd" />
          <YAxis tickFormatter={(v) => tick(v, plotted[0])} width={70} />
        </>
      )}
      <Tooltip
        labelFormatter={(name: ReactNode) => {
          const partial = partialLabelled(partials, name);
          return partial ? `${partial.label} (${partial.note})` : name;
        }}
        formatter={(value, _name, item) => format(value, plotted.find((m) => m.key === item.dataKey) ?? plotted[0])}
      />
      {plotted.length > 1 ? <Legend portal={portal} itemSorter={inOrderOf(plotted.map((m) => m.title))} /> : null}
      {plotted.map((m, i) => (
        <Bar
          key={m.key}
          dataKey={m.key}
          name={m.title}
          fill={PALETTE[i % PALETTE.length]}
          isAnimationActive={false}
          onClick={(entry) => open((entry as { payload?: { row?: Row } }).payload?.row, m.member)}
          style={clickable}
        >
          {partialAt.length > 0
            ? data.map((_, at) =>
                partialAt.includes(at) ? (
                  <ShapeCell key={at} className="partial-period" fill={`url(#${hatchId}-${i})`} stroke={PALETTE[i % PALETTE.length]} strokeWidth={1.5} />
                ) : (
                  <ShapeCell key={at} fill={PALETTE[i % PALETTE.length]} />
                ),
              )
            : null}
        </Bar>
      ))}
    </BarChart>
  );
}

/** What recharts gives a line's enlarged dot under the pointer: where to draw it, and its point. */
interface ActiveDot {
  cx?: number;
  cy?: number;
  fill?: string;
  payload?: { row?: Row; name?: unknown };
}

/** Past this height (px) a chart scrolls inside its tile, so one tile of many names does not stretch its row of the grid. */
const MAX_CHART_HEIGHT = 520;

function ChartFrame({ height, title, children }: { height: number; title: string; children: ReactElement }) {
  const chart = (
    <ResponsiveContainer width="100%" height={height}>
      {children}
    </ResponsiveContainer>
  );
  if (height <= MAX_CHART_HEIGHT) return chart;
  // Focusable, so the names further down can be scrolled to with the keyboard too.
  return (
    <div className="chart-scroll" style={{ maxHeight: MAX_CHART_HEIGHT }} tabIndex={0} role="region" aria-label={`${title}: every bar, scrollable`}>
      {chart}
    </div>
  );
}

/**
 * The widest name column of a bar chart drawn across (px), what a character of its 12px labels takes
 * (a little over the average, so recharts does not break a name it was sized for), and what the axis
 * keeps beside the names for its tick marks.
 */
const MAX_LABEL_WIDTH = 240;
/** Below this screen width (a phone), the name column is at most NARROW_LABEL_WIDTH. */
const NARROW_SCREEN = 640;
const NARROW_LABEL_WIDTH = 130;
const LABEL_CHAR_WIDTH = 7.5;
const LABEL_PADDING = 24;
/** Rows of bars drawn across, each this high (px) per measure, past the axes' own height. */
const BAR_BAND = 14;
const AXES_HEIGHT = 90;

/** A bar chart of names (not of periods) is drawn across: its names down the side, where each can be read. */
function barsAcross(tile: Tile, category: Column): boolean {
  return tile.chart === 'bar' && category.type !== 'date' && category.member !== queryOf(tile).timeDimension?.dimension;
}

/** Tall enough for a bar chart drawn across to give every name its line. */
function chartHeight(tile: Tile, rows: Row[], category: Column, plotted: Column[]): number {
  if (!barsAcross(tile, category)) return 280;
  return Math.max(280, rows.length * (BAR_BAND * plotted.length + 10) + AXES_HEIGHT);
}

/**
 * A name longer than its column is cut with an ellipsis; the bar's tooltip and the data table give it
 * whole. A label that ends in what tells it from a namesake ("Logistics (People & Culture East)" and
 * "... West", the labels' qualifier in brackets) keeps its end and loses its middle, so two bars never
 * read alike; any other name keeps its start.
 */
function shortened(name: string, width: number): string {
  const fits = charactersIn(width);
  if (name.length <= fits) return name;
  return name.endsWith(')') ? cutMiddle(name, fits) : `${name.slice(0, fits - 1).trimEnd()}…`;
}

/** How many characters of a 12px label its names' column of `width` px holds. */
const charactersIn = (width: number) => Math.max(2, Math.floor((width - LABEL_PADDING) / LABEL_CHAR_WIDTH));

/** `name` in `length` characters: its first `head`, an ellipsis, and as much of its end as is left. */
const cutMiddle = (name: string, length: number, head = Math.ceil((length - 1) / 2)) =>
  `${name.slice(0, head).trimEnd()}…${name.slice(name.length - (length - 1 - head)).trimStart()}`;

/**
 * Each name of a chart as its axis writes it (`shortened`); names that would then read alike ("People
 * & Cult…" for "People & Culture East" and "... West", on a phone's narrow column) are cut in the
 * middle instead, keeping the ends that tell them apart.
 */
function shortLabels(names: string[], width: number): Map<string, string> {
  const fits = charactersIn(width);
  const first = new Map(names.map((name) => [name, shortened(name, width)]));
  const times = new Map<string, number>();
  for (const short of first.values()) times.set(short, (times.get(short) ?? 0) + 1);
  const used = new Set([...first.values()].filter((short) => times.get(short) === 1));
  const out = new Map<string, string>();
  for (const name of names) {
    let label = first.get(name)!;
    if (times.get(label)! > 1) {
      // Cut in the middle, then with more of the end ("Brand (…Finance South)"), then a little
      // longer each time: the first of these no other bar reads as; the whole name at worst.
      const variants: string[] = [];
      for (let length = fits; length < name.length; length++) variants.push(cutMiddle(name, length), cutMiddle(name, length, Math.min(5, length - 2)));
      label = variants.find((v) => !used.has(v)) ?? name;
    }
    used.add(label);
    out.set(name, label);
  }
  return out;
}

/**
 * Diagonal stripes of the bar's colour on white: the incomplete period's bar reads as unlike the
 * others without telling them apart by colour alone (its outline keeps the colour's 3:1 contrast).
 */
function hatch(id: string, colour: string) {
  return (
    <pattern key={id} id={id} width={6} height={6} patternUnits="userSpaceOnUse" patternTransform="rotate(45)">
      <rect width={6} height={6} fill="#fff" />
      <line x1={0} y1={0} x2={0} y2={6} stroke={colour} strokeWidth={3} />
    </pattern>
  );
}


/**
 * The lines of several measures over one axis, each drawn narrower than the one before it, so a line
 * that equals another (Completed = Enrolments in a year everyone finished) shows as a thin line inside
 * a wide one rather than hiding it.
 */
export function measureLineWidth(index: number, lines: number): number {
  return lines > 1 ? 2 + 2 * Math.min(lines - 1 - index, 3) : 2;
}

/** The dashed part of a line, into and out of the incomplete period: not a series of its own in the legend. */
function partialLine(dataKey: string, name: string, stroke: string, dot?: false, strokeWidth = 2) {
  return (
    <Line
      key={dataKey}
      className="partial-period"
      type="monotone"
      dataKey={dataKey}
      name={name}
      stroke={stroke}
      strokeWidth={strokeWidth}
      strokeDasharray="6 4"
      legendType="none"
      dot={dot}
      isAnimationActive={false}
    />
  );
}
